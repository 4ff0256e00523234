// Tests prepare a library folder before a studio opens it: open, change, close (the studio opens its own).
import { inject } from 'vitest';
import { Library } from '../../main/services/library';
import { createDatabase } from '../support/servers';

export async function withLibrary<T>(dir: string, work: (library: Library) => T | Promise<T>): Promise<T> {
  const library = await Library.open(dir);
  try {
    return await work(library);
  } finally {
    await library.close();
  }
}

/** Each library folder's PostgreSQL database, so reopening a folder finds the same tables. */
const databases = new Map<string, Promise<string>>();

/**
 * Opens a library on the backend of this test project (vitest.config.ts): the folder's own SQLite file, or a
 * fresh PostgreSQL database made for the folder the first time it is opened.
 */
export async function openTestLibrary(dir: string): Promise<Library> {
  if (inject('libraryBackend') !== 'postgres') return Library.open(dir);
  let url = databases.get(dir);
  if (!url) {
    url = createDatabase(inject('postgresAdminUrl'));
    databases.set(dir, url);
  }
  return Library.open(dir, { databaseUrl: await url });
}
