// Tests prepare a library folder before a studio opens it: open, change, close (the studio opens its own).
import { Library } from '../../main/services/library';

export async function withLibrary<T>(dir: string, work: (library: Library) => T | Promise<T>): Promise<T> {
  const library = Library.open(dir);
  try {
    return await work(library);
  } finally {
    library.close();
  }
}
