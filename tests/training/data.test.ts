// Training data plumbing without sessions: pairs JSONL parsing, the HPS recipe's captions, the seeded data
// order and regularisation mix, and checkpoint round trips.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AdamW } from '../../main/engine/optim';
import { loadCheckpoint, saveCheckpoint } from '../../main/services/training/lora/checkpoint';
import { WEIRD_IMAGE_PREFIX } from '../../main/contract/names';
import { parseTrainingConfig } from '../../main/services/training/lora/config';
import {
  hpsTrainingSamples,
  readCaptionFolder,
  readPairsJsonl,
} from '../../main/services/training/lora/pairs';
import { derivedSeed, isRegularization, shuffledIndex } from '../../main/services/training/lora/sampler';
import { tempDir } from '../sd/helpers';

function folderWith(files: Record<string, string>): string {
  const dir = tempDir('train-data-');
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

describe('pairs JSONL', () => {
  it('resolves images against the file folder and skips ties and unlabeled lines', async () => {
    const lines = [
      { prompt: 'p1', chosen: 'img/a.png', rejected: 'img/b.png', tie: false },
      { prompt: 'p2', chosen: 'img/a.png', rejected: 'img/b.png', tie: true },
      { prompt: 'p3', chosen: null, rejected: null, tie: false },
    ];
    const dir = folderWith({
      'img/a.png': 'x',
      'img/b.png': 'y',
      'pairs.jsonl': lines.map((l) => JSON.stringify(l)).join('\n'),
    });
    const report = await readPairsJsonl(path.join(dir, 'pairs.jsonl'));
    expect(report.pairs).toEqual([
      { prompt: 'p1', chosen: path.join(dir, 'img/a.png'), rejected: path.join(dir, 'img/b.png') },
    ]);
    expect(report.skippedTies).toBe(1);
    expect(report.skippedUnlabeled).toBe(1);
  });

  it('names the line of a malformed record and a missing image', async () => {
    const bad = folderWith({ 'pairs.jsonl': '{"prompt":"p","chosen":"a.png","rejected":"b.png"}\n{oops' });
    await expect(readPairsJsonl(path.join(bad, 'pairs.jsonl'))).rejects.toThrow(
      /pairs\.jsonl:2: not valid JSON/,
    );
    const missing = folderWith({ 'pairs.jsonl': '{"prompt":"p","chosen":"a.png","rejected":"b.png"}' });
    await expect(readPairsJsonl(path.join(missing, 'pairs.jsonl'))).rejects.toThrow(
      /images \S+a\.png, \S+b\.png do not exist/,
    );
  });
});

describe('HPS recipe data', () => {
  it('rejected images train under "Weird image. " + prompt, chosen under the prompt', () => {
    expect(WEIRD_IMAGE_PREFIX).toBe('Weird image. ');
    const samples = hpsTrainingSamples([
      { prompt: 'a cat', chosen: '/a.png', rejected: '/b.png' },
      { prompt: 'a cat', chosen: '/a.png', rejected: '/c.png' },
    ]);
    expect(samples).toEqual([
      { image: '/a.png', caption: 'a cat' },
      { image: '/b.png', caption: 'Weird image. a cat' },
      { image: '/c.png', caption: 'Weird image. a cat' },
    ]);
  });

  it('regularisation folders pair images with same-named .txt captions', async () => {
    const dir = folderWith({ 'x.png': '', 'x.txt': ' a caption \n', 'y.jpg': '', 'notes.md': '' });
    expect(await readCaptionFolder(dir)).toEqual([{ image: path.join(dir, 'x.png'), caption: 'a caption' }]);
  });

  it('settings: defaults follow the recipe; bad values are named', () => {
    const config = parseTrainingConfig({
      recipe: 'hps',
      model: 'm',
      data: { pairs: 'p.jsonl' },
      steps: 10,
      out: 'o.safetensors',
    });
    expect([config.rank, config.lr, config.weightDecay, config.gradClip, config.beta, config.batch]).toEqual([
      4, 1e-4, 1e-2, 1, 5000, 1,
    ]);
    expect(() => parseTrainingConfig({ ...config, rank: 0 })).toThrow(/rank/);
    expect(() =>
      parseTrainingConfig({ ...config, recipe: 'dpo', regularization: { folder: 'r', ratio: 0.5 } }),
    ).toThrow(/hps recipe only/);
  });
});

describe('seeded data order', () => {
  it('each epoch is a permutation; epochs and seeds differ; the same seed repeats', () => {
    const epoch = (seed: number, e: number) =>
      Array.from({ length: 7 }, (_, i) => shuffledIndex(seed, 10, 7, e * 7 + i));
    expect([...epoch(1, 0)].sort()).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect([...epoch(1, 1)].sort()).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(epoch(1, 0)).toEqual(epoch(1, 0));
    expect(epoch(1, 0)).not.toEqual(epoch(1, 1));
    expect(epoch(1, 0)).not.toEqual(epoch(2, 0));
    expect(derivedSeed(1, 1, 5)).not.toBe(derivedSeed(1, 2, 5));
  });

  it('regularisation samples make up floor(k · ratio) of the first k', () => {
    for (const ratio of [0, 0.25, 0.5, 0.3]) {
      let count = 0;
      for (let k = 0; k < 1000; k++) if (isRegularization(k, ratio)) count++;
      expect(count).toBe(Math.floor(1000 * ratio));
    }
  });
});

describe('checkpoints', () => {
  it('round-trip parameters, AdamW moments, losses and loss scale; the newest replaces the older', async () => {
    const dir = tempDir('train-ckpt-');
    const params = { a: Float32Array.of(1, 2, 3), b: Float32Array.of(-1) };
    const opt = new AdamW({ lr: 0.1 });
    opt.step(params, { a: Float32Array.of(0.1, 0.2, 0.3), b: Float32Array.of(1) });
    await saveCheckpoint(dir, {
      step: 1,
      fingerprint: 'f',
      losses: [0.5],
      lossScale: 1,
      params,
      optimizer: opt.state(),
    });
    opt.step(params, { a: Float32Array.of(0.3, 0.2, 0.1), b: Float32Array.of(-1) });
    await saveCheckpoint(dir, {
      step: 2,
      fingerprint: 'f',
      losses: [0.5, 0.4],
      lossScale: 512,
      params,
      optimizer: opt.state(),
    });
    const loaded = (await loadCheckpoint(dir))!;
    expect(loaded.step).toBe(2);
    expect(loaded.losses).toEqual([0.5, 0.4]);
    expect(loaded.lossScale).toBe(512);
    expect(loaded.params).toEqual(params);
    const restored = new AdamW({ lr: 0.1 });
    restored.load(loaded.optimizer);
    expect(restored.state()).toEqual(opt.state());
    const { readdirSync } = await import('node:fs');
    expect(readdirSync(dir).sort()).toEqual(['latest.json', 'step-00000002']);
  });

  it('no checkpoint → undefined', async () => {
    expect(await loadCheckpoint(tempDir('train-ckpt-empty-'))).toBeUndefined();
  });
});
