import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const FIXTURES = fileURLToPath(new URL('../../../shared/fixtures/', import.meta.url));

/** A scratch folder per test file; `file(name, bytes)` writes into it and returns the path. */
export async function scratch(): Promise<{
  dir: string;
  file(name: string, bytes: Uint8Array): Promise<string>;
  cleanup(): Promise<void>;
}> {
  const dir = await mkdtemp(join(tmpdir(), 'hps-checkpoints-'));
  return {
    dir,
    async file(name, bytes) {
      const path = join(dir, name);
      await writeFile(path, bytes);
      return path;
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}
