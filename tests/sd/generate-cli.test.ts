// `hps-studio generate` end to end: the fixture's txt2img run through the CLI reproduces pipe_image to
// ±1/255 per value (PNG pixels / 255 vs the NHWC reference), and the stdout JSON has the documented shape.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { clipVocab, readF32, repoRoot, tempDir, tinyFolder } from './helpers';
import { expectWithin } from '../parity';

const bin = path.join(repoRoot, 'bin/hps-studio.mjs');

async function cli(args: string[], env: Record<string, string>) {
  return promisify(execFile)(process.execPath, [bin, ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    timeout: 240_000,
  });
}

describe('hps-studio generate (sd-tiny)', () => {
  it('reproduces the diffusers PNDM pipeline image and prints the JSON rows', async () => {
    const work = tempDir('sd-cli-');
    const out = path.join(work, 'out');
    const args = [
      'generate',
      '--model',
      tinyFolder,
      '--vocab',
      clipVocab,
      '--seed',
      '11',
      '--width',
      '32',
      '--height',
      '32',
      '--steps',
      '10',
      '--cfg',
      '7.5',
      '--scheduler',
      'pndm',
      '--prompt',
      'a red cube on a blue table',
      '--negative',
      'Weird image. ',
      '--out',
      out,
    ];
    const { stdout, stderr } = await cli(args, { XDG_CACHE_HOME: path.join(work, 'cache') });
    expect(stderr).toMatch(/step 11\/11/);
    const rows = JSON.parse(stdout) as Record<string, unknown>[];
    expect(rows).toEqual([
      {
        file: path.join(out, 'seed-11.png'),
        seed: 11,
        prompt: 'a red cube on a blue table',
        negative: 'Weird image. ',
        steps: 10,
        cfg: 7.5,
        scheduler: 'pndm',
      },
    ]);
    const { data, info } = await sharp(rows[0]!.file as string)
      .raw()
      .toBuffer({ resolveWithObject: true });
    expect([info.width, info.height, info.channels]).toEqual([32, 32, 3]);
    const ref = readF32('pipe_image.f32');
    let worst = 0;
    for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(data[i]! / 255 - ref[i]!));
    expectWithin('CLI image vs pipe_image, max |Δ|', worst, 1 / 255);
  }, 240_000);

  it('explains a missing tokenizer and a bad size in one line', async () => {
    const work = tempDir('sd-cli-');
    const common = [
      'generate',
      '--model',
      tinyFolder,
      '--prompt',
      'x',
      '--steps',
      '1',
      '--out',
      path.join(work, 'out'),
    ];
    await expect(cli(common, { XDG_CACHE_HOME: work })).rejects.toMatchObject({
      stderr: expect.stringMatching(/no tokenizer\/.*vocabulary/),
    });
    await expect(
      cli([...common, '--vocab', clipVocab, '--width', '24', '--height', '32'], { XDG_CACHE_HOME: work }),
    ).rejects.toMatchObject({
      stderr: expect.stringMatching(/width must be a positive multiple of 16/),
    });
  }, 240_000);
});
