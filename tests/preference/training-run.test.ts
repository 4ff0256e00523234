// A tiny end-to-end run: hps_v1_tiny trained on a synthetic library whose preferred image is always the
// brighter one must predict held-out prompts' choices far above chance; the saved file is a scorer.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Library } from '../../main/services/library';
import {
  beliefFromCosines,
  createTrainedScorer,
  labelNextByDisagreement,
  labelNextByUncertainty,
  loadBaseModel,
  readTrainedScorerHeader,
  saveTrainedScorer,
  trainPreferenceModel,
  type TrainResult,
} from '../../main/services/preference-training';
import { createScorer, isScoreError, type ScoreRow } from '../../main/services/scoring';
import { VOCAB, fixture } from '../models/clip-fixtures';
import { syntheticLibrary } from './synthetic';

const CHECKPOINT = fixture('hps_v1_tiny.pt');
let dir: string;
let library: Library;
let result: TrainResult;
let savedFile: string;
const log: string[] = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'pref-run-'));
  library = await syntheticLibrary(path.join(dir, 'library'), {
    prompts: 20,
    comparisonsPerPrompt: 4,
    unlabelled: 4,
  });
  const base = await loadBaseModel('hps-v1', CHECKPOINT);
  const losses: number[] = [];
  result = await trainPreferenceModel({
    library,
    base,
    vocab: VOCAB,
    settings: { blocks: 1, steps: 25, lr: 1e-3, batchSize: 8, warmupSteps: 5, seed: 3, testFraction: 0.3 },
    onStep: (s) => {
      losses.push(s.loss);
    },
  });
  savedFile = path.join(dir, 'trained.safetensors');
  await saveTrainedScorer(savedFile, {
    base,
    trained: result.trained,
    settings: { ...result.report.settings },
  });
  const { before, after, timings } = result.report;
  log.push(
    `synthetic brightness task: held-out ${result.report.heldOutPairs} pairs; accuracy (drop-ties) ${before.dropTies.accuracy} → ${after.dropTies.accuracy}, ` +
      `interval after ${JSON.stringify(after.dropTies.interval)}; loss ${losses[0]?.toFixed(4)} → ${losses.at(-1)?.toFixed(4)}; ` +
      `encode ${timings.encodeMs.toFixed(0)} ms, ${timings.msPerStep.toFixed(1)} ms/step, evaluate ${timings.evaluateMs.toFixed(0)} ms`,
  );
}, 300_000);

afterAll(async () => {
  await library?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
  console.log(log.join('\n'));
});

describe('preference training on synthetic labels (preferred = brighter)', () => {
  it('holds out whole prompts', () => {
    const { testPromptIds, trainComparisons, testComparisons } = result.report;
    expect(testPromptIds.length).toBe(6);
    expect(testComparisons).toBe(24);
    expect(trainComparisons).toBe(56);
  });

  it('lifts held-out accuracy far above chance under both tie conventions', () => {
    const { before, after } = result.report;
    expect(after.dropTies.accuracy!).toBeGreaterThanOrEqual(0.9);
    expect(after.halfCredit.accuracy!).toBeGreaterThanOrEqual(0.9);
    expect(after.dropTies.accuracy!).toBeGreaterThan(before.dropTies.accuracy! + 0.2);
    expect(after.dropTies.interval![0]).toBeGreaterThan(0.5);
  });

  it('saves a scorer that loads, scores, and differs from the base', async () => {
    const header = await readTrainedScorerHeader(savedFile);
    expect(header?.kind).toBe('hps-v1');
    expect(header?.trained).toContain('visual.proj');
    const images = (await library.listImages()).slice(0, 3).map((image) => library.imagePath(image));
    const prompts = ['a picture of thing number 0'];
    const trained = await createTrainedScorer(savedFile, { vocab: VOCAB });
    const base = await createScorer({ kind: 'hps-v1', model: CHECKPOINT, vocab: VOCAB });
    let trainedRows: ScoreRow[];
    let baseRows: ScoreRow[];
    try {
      trainedRows = await trained.score(images, prompts);
      baseRows = await base.score(images, prompts);
    } finally {
      await Promise.all([trained.close(), base.close()]);
    }
    expect(trainedRows.some(isScoreError)).toBe(false);
    const difference = trainedRows.map((row, i) =>
      Math.abs((row as { score: number }).score - (baseRows[i] as { score: number }).score),
    );
    expect(Math.max(...difference)).toBeGreaterThan(0.1);
  });
});

describe('label next with the trained scorer', () => {
  it('queues every unlabelled comparison, least certain first, and by disagreement with the base', async () => {
    const unlabelled = await library.listComparisons({ state: 'unlabeled' });
    expect(unlabelled).toHaveLength(4);
    const trained = await createTrainedScorer(savedFile, { vocab: VOCAB });
    const base = await createScorer({ kind: 'hps-v1', model: CHECKPOINT, vocab: VOCAB });
    try {
      const queue = await labelNextByUncertainty(library, trained);
      expect(new Set(queue.map((e) => e.comparisonId))).toEqual(new Set(unlabelled.map((c) => c.id)));
      for (const entry of queue) {
        const c = unlabelled.find((u) => u.id === entry.comparisonId)!;
        const rows = await trained.score(
          c.images.map((image) => library.imagePath(image)),
          [c.prompt],
        );
        const [p0, p1] = beliefFromCosines(
          c.id,
          rows.map((row) => (row as { cosine: number }).cosine),
        ).probabilities;
        expect(entry.priority).toBeCloseTo(1 - Math.abs(p0! - p1!), 9);
      }
      expect(queue.map((e) => e.priority)).toEqual([...queue.map((e) => e.priority)].sort((a, b) => b - a));
      // Disagreement reads stored scores, as the live readouts leave them.
      for (const [modelId, scorer] of [
        ['trained', trained],
        ['base', base],
      ] as const)
        for (const c of unlabelled) {
          const rows = await scorer.score(
            c.images.map((image) => library.imagePath(image)),
            [c.prompt],
          );
          for (const [i, row] of rows.entries())
            await library.scores.set({
              modelId,
              imageId: c.images[i]!.id,
              promptId: c.promptId,
              score: (row as { score: number }).score,
              cosine: null,
            });
        }
      const disputed = await labelNextByDisagreement(library, ['trained', 'base'], { limit: 2 });
      expect(disputed.queue).toHaveLength(2);
      expect(disputed.unscored).toBe(0);
      expect(disputed.queue[0]!.priority).toBeGreaterThanOrEqual(disputed.queue[1]!.priority);
    } finally {
      await Promise.all([trained.close(), base.close()]);
    }
  });
});

describe('LoRA preference training on the same synthetic labels', () => {
  let lora: TrainResult;
  let loraFile: string;

  beforeAll(async () => {
    const base = await loadBaseModel('hps-v1', CHECKPOINT);
    lora = await trainPreferenceModel({
      library,
      base,
      vocab: VOCAB,
      settings: {
        steps: 25,
        lr: 1e-2,
        batchSize: 8,
        warmupSteps: 5,
        seed: 3,
        testFraction: 0.3,
        loraRank: 4,
        loraAlpha: 4,
      },
    });
    loraFile = path.join(dir, 'lora.safetensors');
    await saveTrainedScorer(loraFile, { base, trained: lora.trained, settings: { ...lora.report.settings } });
    const { before, after, timings } = lora.report;
    log.push(
      `LoRA rank 4: accuracy (drop-ties) ${before.dropTies.accuracy} → ${after.dropTies.accuracy}; ${timings.msPerStep.toFixed(1)} ms/step`,
    );
  }, 300_000);

  it('lifts held-out accuracy far above chance', () => {
    expect(lora.report.after.dropTies.accuracy!).toBeGreaterThanOrEqual(0.9);
    expect(lora.report.after.dropTies.accuracy!).toBeGreaterThan(lora.report.before.dropTies.accuracy! + 0.2);
  });

  it('saves merged weights whose scorer reproduces the held-out accuracy', async () => {
    const held = new Set(lora.report.testPromptIds);
    const comparisons = (await library.listComparisons()).filter((c) => held.has(c.promptId));
    const chosen = new Map((await library.judgments.list()).map((j) => [j.comparisonId, j.chosenImageId]));
    const scorer = await createTrainedScorer(loraFile, { vocab: VOCAB });
    let correct = 0;
    try {
      for (const c of comparisons) {
        const rows = await scorer.score(
          c.images.map((image) => library.imagePath(image)),
          [c.prompt],
        );
        const scores = rows.map((row) => (row as { score: number }).score);
        const best = c.images[scores[0]! > scores[1]! ? 0 : 1]!.id;
        if (best === chosen.get(c.id)) correct++;
      }
    } finally {
      await scorer.close();
    }
    expect(comparisons).toHaveLength(lora.report.testComparisons);
    expect(correct / comparisons.length).toBe(lora.report.after.dropTies.accuracy);
  });
});
