// The library suite runs once per backend (vitest.config.ts projects): this checks that each run really opens
// its libraries on its own backend.
import { inject, expect, it } from 'vitest';
import { openTestLibrary } from './open-library';
import { tempDir } from './helpers';

it("opens test libraries on the project's backend", async () => {
  const temp = tempDir();
  const library = await openTestLibrary(temp.dir);
  try {
    expect(library.db.dialect).toBe(inject('libraryBackend'));
  } finally {
    await library.close();
    temp.cleanup();
  }
});
