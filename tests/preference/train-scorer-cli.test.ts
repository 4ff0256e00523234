// `hps-studio train-scorer` as a script calls it: JSON summary on stdout, one JSONL line per step in --log,
// progress on stderr, and an output file that `hps-studio score` loads under the base kind.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApi, createApp, OWNER } from '../../main/api';
import { VOCAB, fixture } from '../models/clip-fixtures';
import { syntheticLibrary } from './synthetic';
import { runCli } from '../cli/run-cli';

const cli = (args: string[]) => runCli(args);

let dir: string;
let libraryDir: string;
let imageFiles: string[];

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'pref-cli-'));
  libraryDir = path.join(dir, 'library');
  const library = await syntheticLibrary(libraryDir, { prompts: 4, comparisonsPerPrompt: 2 });
  imageFiles = (await library.listImages()).slice(0, 2).map((image) => library.imagePath(image));
  await library.close();
}, 60_000);

afterAll(() => rm(dir, { recursive: true, force: true }));

describe('hps-studio train-scorer', () => {
  it('trains, logs each step, prints the summary and writes a scorer that `score` loads', async () => {
    const out = path.join(dir, 'mine.safetensors');
    const log = path.join(dir, 'train.jsonl');
    const base = [
      '--base',
      fixture('hps_v1_tiny.pt'),
      '--kind',
      'hps-v1',
      '--vocab',
      VOCAB,
      '--library',
      libraryDir,
    ];
    const run = await cli([
      'train-scorer',
      ...base,
      '--steps',
      '3',
      '--lr',
      '1e-4',
      '--batch',
      '2',
      '--held-out',
      '0.5',
      '--out',
      out,
      '--log',
      log,
    ]);
    expect(run.stderr).toContain('step 3/3');
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout) as {
      kind: string;
      before: { dropTies: { accuracy: number; n: number } };
      after: { halfCredit: { interval: number[] } };
    };
    expect(summary.kind).toBe('hps-v1');
    expect(summary.before.dropTies.n).toBe(4);
    expect(summary.after.halfCredit.interval).toHaveLength(2);
    const steps = (await readFile(log, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { step: number; loss: number; lr: number });
    expect(steps.map((s) => s.step)).toEqual([1, 2, 3]);
    for (const s of steps) expect(Number.isFinite(s.loss) && s.lr > 0).toBe(true);

    const scored = await cli([
      'score',
      '--kind',
      'hps-v1',
      '--model',
      out,
      '--vocab',
      VOCAB,
      '--prompt',
      'a picture of thing number 0',
      '--json',
      ...imageFiles,
    ]);
    expect(scored.code).toBe(0);
    const rows = JSON.parse(scored.stdout) as { score?: number }[];
    expect(rows).toHaveLength(2);
    expect(rows.every((row) => Number.isFinite(row.score))).toBe(true);
  }, 180_000);

  it("saves the held-out report, so Evaluate's held-out table lists a CLI-trained scorer", async () => {
    const out = path.join(libraryDir, 'scorers', 'from-cli.safetensors');
    const run = await cli([
      'train-scorer',
      ...['--base', fixture('hps_v1_tiny.pt'), '--kind', 'hps-v1', '--vocab', VOCAB],
      ...['--library', libraryDir, '--steps', '2', '--batch', '2', '--held-out', '0.5', '--out', out],
    ]);
    expect(run.code, run.stderr).toBe(0);
    const summary = JSON.parse(run.stdout) as { before: unknown; after: unknown; testComparisons: number };
    const api = createApi(
      await createApp({ libraryDir, info: { version: 'test', mode: 'serve', electron: null } }),
    );
    try {
      const { scorers } = (await api.call('evaluation.heldOut', {}, OWNER)) as {
        scorers: { id: string; kind: string; before: unknown; after: unknown; testComparisons: number }[];
      };
      expect(scorers.find((s) => s.id === 'from-cli')).toMatchObject({
        kind: 'hps-v1',
        before: summary.before,
        after: summary.after,
        testComparisons: summary.testComparisons,
      });
    } finally {
      await api.app.close();
    }
  }, 180_000);

  it('refuses a folder that holds no library', async () => {
    const run = await cli([
      'train-scorer',
      '--base',
      fixture('hps_v1_tiny.pt'),
      '--kind',
      'hps-v1',
      '--vocab',
      VOCAB,
      '--library',
      path.join(dir, 'nothing'),
      '--out',
      path.join(dir, 'x.safetensors'),
    ]);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('no library');
  }, 60_000);
});
