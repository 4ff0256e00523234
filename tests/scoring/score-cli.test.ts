// `hps-studio score --json` as scripts call it: a child process, one JSON array on stdout, progress on stderr.
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { f32, fixture, IMAGES, maxAbsDiff, PROMPTS, relativeError, VOCAB } from '../models/clip-fixtures';
import { runCli } from '../cli/run-cli';
import { expectWithin } from '../parity';

const cli = (args: string[]) => runCli(['score', ...args]);

type Row = { image: string; prompt?: string; cosine?: number; score?: number; error?: string };

const promptArgs = PROMPTS.flatMap((p) => ['--prompt', p]);

describe('hps-studio score --json', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'hps-score-cli-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('hps-v1: one object per (image, prompt) matching v1_cosine; progress only on stderr', async () => {
    const run = await cli([
      '--kind',
      'hps-v1',
      '--model',
      fixture('hps_v1_tiny.pt'),
      '--vocab',
      VOCAB,
      ...promptArgs,
      '--batch',
      '4',
      '--json',
      ...IMAGES,
    ]);
    expect(run.code).toBe(0);
    const rows = JSON.parse(run.stdout) as Row[];
    expect(rows.map((r) => Object.keys(r).sort())).toEqual(
      rows.map(() => ['cosine', 'image', 'prompt', 'score']),
    );
    expect(rows.map((r) => [r.image, r.prompt])).toEqual(
      IMAGES.flatMap((image) => PROMPTS.map((prompt) => [image, prompt])),
    );
    const err = maxAbsDiff(
      Float32Array.from(rows, (r) => r.cosine!),
      f32('v1_cosine.f32'),
    );
    expectWithin('CLI hps-v1 cosine max |Δ|', err, 1e-4);
    expect(run.stderr).toMatch(/scoring: 7\/7 images/);
  });

  it('hps-v2 (.safetensors): matches v2_score', async () => {
    const run = await cli([
      '--kind',
      'hps-v2',
      '--model',
      fixture('hps_v2_tiny.safetensors'),
      '--vocab',
      VOCAB,
      ...promptArgs,
      '--json',
      ...IMAGES,
    ]);
    expect(run.code).toBe(0);
    const rows = JSON.parse(run.stdout) as Row[];
    const err = maxAbsDiff(
      Float32Array.from(rows, (r) => r.cosine!),
      f32('v2_score.f32'),
    );
    expectWithin('CLI hps-v2 score max |Δ|', err, 1e-4);
    rows.forEach((r) => expect(r.score).toBeCloseTo(100 * r.cosine!, 8));
  });

  it('aesthetic: {image, score} per image matching aesthetic.f32, no prompt needed', async () => {
    const run = await cli([
      '--kind',
      'aesthetic',
      '--model',
      fixture('hps_v1_tiny.pt'),
      '--head',
      fixture('aesthetic_tiny.pth'),
      '--json',
      ...IMAGES,
    ]);
    expect(run.code).toBe(0);
    const rows = JSON.parse(run.stdout) as Row[];
    expect(rows.map((r) => Object.keys(r).sort())).toEqual(rows.map(() => ['image', 'score']));
    const err = relativeError(
      Float32Array.from(rows, (r) => r.score!),
      f32('aesthetic.f32'),
    );
    expectWithin('CLI aesthetic (relative)', err, 1e-4);
  });

  it('a folder with a corrupt image in the middle: an error entry, the others scored, exit 0', async () => {
    const folder = path.join(dir, 'folder');
    await mkdir(folder);
    await copyFile(IMAGES[0]!, path.join(folder, 'a.png'));
    await writeFile(path.join(folder, 'b.png'), Buffer.from('not a png at all'));
    await copyFile(IMAGES[4]!, path.join(folder, 'c.jpg'));
    await writeFile(path.join(folder, 'notes.txt'), 'ignored: not an image extension');
    const run = await cli([
      '--kind',
      'hps-v1',
      '--model',
      fixture('hps_v1_tiny.pt'),
      '--vocab',
      VOCAB,
      '--prompt',
      PROMPTS[0]!,
      '--json',
      folder,
    ]);
    expect(run.code).toBe(0);
    const rows = JSON.parse(run.stdout) as Row[];
    expect(rows.map((r) => path.basename(r.image))).toEqual(['a.png', 'b.png', 'c.jpg']);
    expect(rows[1]!.error).toMatch(/b\.png/);
    const cos = f32('v1_cosine.f32');
    expect(rows[0]!.cosine).toBeCloseTo(cos[0]!, 4);
    expect(rows[2]!.cosine).toBeCloseTo(cos[4 * PROMPTS.length]!, 4);
    expect(run.stderr).toMatch(/1 unreadable/);
  });

  it('exits 1 when nothing could be scored, still printing the error entries', async () => {
    const run = await cli([
      '--kind',
      'hps-v1',
      '--model',
      fixture('hps_v1_tiny.pt'),
      '--vocab',
      VOCAB,
      '--prompt',
      'x',
      '--json',
      path.join(dir, 'missing.png'),
    ]);
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toEqual([
      { image: path.join(dir, 'missing.png'), error: 'file not found' },
    ]);
  });

  it('rejects an unknown kind and a missing prompt with one-line messages', async () => {
    const badKind = await cli(['--kind', 'hps-v3', '--model', 'x', '--json', 'a.png']);
    expect(badKind.code).not.toBe(0);
    expect(badKind.stderr).toMatch(/hps-v1, hps-v2, clip, aesthetic, pickscore/);
    const noPrompt = await cli([
      '--kind',
      'hps-v2',
      '--model',
      fixture('hps_v2_tiny.pt'),
      '--vocab',
      VOCAB,
      '--json',
      IMAGES[0]!,
    ]);
    expect(noPrompt.code).toBe(1);
    expect(noPrompt.stderr).toMatch(/needs at least one --prompt/);
    expect(noPrompt.stdout).toBe('');
  });
});
