import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Library } from '../../main/services/library';
import { makePng, tempDir } from './helpers';

const bin = fileURLToPath(new URL('../../bin/hps-studio.mjs', import.meta.url));
const run = promisify(execFile);
const cli = (...args: string[]) => run(process.execPath, [bin, ...args]);

let root: string;
let cleanup: () => void;
beforeAll(async () => {
  ({ dir: root, cleanup } = tempDir());
  const shots = path.join(root, 'shots');
  mkdirSync(shots);
  const rows = ['image,prompt'];
  for (let i = 0; i < 4; i++) {
    writeFileSync(path.join(shots, `${i}.png`), await makePng(i));
    rows.push(`${i}.png,prompt ${i >> 1}`);
  }
  writeFileSync(path.join(shots, 'bad.png'), 'garbage');
  rows.push('bad.png,prompt 0');
  writeFileSync(path.join(shots, 'prompts.csv'), rows.join('\n'));
});
afterAll(() => cleanup());

describe('hps-studio import / export / annotators', () => {
  it('imports a folder with progress on stderr and the bad file listed in the summary', async () => {
    const lib = path.join(root, 'lib');
    const { stdout, stderr } = await cli(
      'import',
      '--library',
      lib,
      '--folder',
      path.join(root, 'shots'),
      '--prompts',
      path.join(root, 'shots', 'prompts.csv'),
    );
    expect(stderr).toMatch(/importing 5\/5 \(100%\)/);
    expect(stdout).toMatch(/images {7}4 new/);
    expect(stdout).toMatch(/comparisons {2}2 new/);
    expect(stdout).toMatch(/errors {7}1 \(skipped\):\n {4}.*bad\.png: not a readable image/);
  });

  it('adds an annotator and prints a working token as the last line; lists annotators', async () => {
    const lib = path.join(root, 'lib');
    const { stdout } = await cli('annotators', 'add', 'alice', '--library', lib, '--role', 'admin');
    const token = stdout.trimEnd().split('\n').at(-1)!;
    const library = await Library.open(lib);
    expect(await library.annotators.authenticate(token)).toMatchObject({ name: 'alice', role: 'admin' });
    await library.close();
    expect((await cli('annotators', 'list', '--library', lib)).stdout).toBe('alice\tadmin\n');
    await expect(cli('annotators', 'add', 'alice', '--library', lib)).rejects.toMatchObject({
      stderr: expect.stringMatching(/already exists/),
    });
  });

  it('exports pairs JSONL that imports into a new library with the same images', async () => {
    const out = path.join(root, 'out', 'pairs.jsonl');
    const { stdout } = await cli(
      'export',
      '--library',
      path.join(root, 'lib'),
      '--format',
      'pairs-jsonl',
      '--out',
      out,
    );
    expect(stdout).toMatch(/Exported 2 records \(pairs-jsonl\)/);
    expect(readFileSync(out, 'utf8').trim().split('\n')).toHaveLength(2);
    await cli('import', '--library', path.join(root, 'copy'), '--pairs', out);
    const source = await Library.open(path.join(root, 'lib'));
    const copy = await Library.open(path.join(root, 'copy'));
    const hashes = async (library: Library) => (await library.listImages()).map((i) => i.hash).sort();
    expect(await hashes(copy)).toEqual(await hashes(source));
    await source.close();
    await copy.close();
    await expect(
      cli('export', '--library', path.join(root, 'nope'), '--format', 'pairs-jsonl', '--out', out),
    ).rejects.toMatchObject({
      stderr: expect.stringMatching(/no library at/),
    });
  });
});
