import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Library } from '../../main/services/library';

const require = createRequire(import.meta.url);
const nodeBinding = join(
  require.resolve('better-sqlite3/package.json'),
  '..',
  'build/Release/better_sqlite3.node',
);

describe('HPS_SQLITE_BINDING (the Electron-ABI build used by npm start)', () => {
  const dirs: string[] = [];
  afterEach(() => {
    delete process.env.HPS_SQLITE_BINDING;
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const tempDir = () => {
    const d = mkdtempSync(join(tmpdir(), 'hps-binding-'));
    dirs.push(d);
    return d;
  };

  it('opens the library through the binding it names', async () => {
    process.env.HPS_SQLITE_BINDING = nodeBinding;
    const lib = await Library.open(tempDir());
    expect((await lib.listComparisons({})).length).toBe(0);
    await lib.close();
  });

  it('fails loudly when the named binding does not exist', async () => {
    process.env.HPS_SQLITE_BINDING = join(tempDir(), 'missing.node');
    await expect(Library.open(tempDir())).rejects.toThrow();
  });
});
