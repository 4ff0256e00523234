// Fine-tunes a CLIP-family scorer on a library's labels with the HPS v2 / PickScore objective:
// logits = exp(logit_scale)·cosine over the images of a comparison, cross-entropy toward the (soft) human
// target, AdamW with warmup and cosine decay, logit_scale clamped to [0, ln 100] after every step.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { AdamW, cosineWithWarmup, type TensorSet } from '../../engine/optim';
import type { ExecutionProvider } from '../../engine/runtime';
import { mulberry32 } from '../evaluation/bootstrap';
import type { Library } from '../library';
import { ClipTokenizer } from '../../tokenizer';
import type { BaseModel } from './base-model';
import { libraryLabels, seededShuffle, splitByPrompt, type PreferenceExample } from './data';
import { EncodedSet } from './encoded';
import {
  accuracyOf,
  heldOutPairs,
  lookup,
  modelCosines,
  storedScorerAccuracy,
  type HeldOutAccuracy,
  type ScorerAccuracy,
} from './evaluate';
import { LOGIT_SCALE } from './graphs';
import { PreferenceSessions } from './model-sessions';

export const MAX_LOGIT_SCALE = Math.log(100);

export interface TrainSettings {
  /** Last blocks of each tower to train (with ln_post, ln_final, both projections and logit_scale). */
  blocks: number;
  steps: number;
  lr: number;
  /** Comparisons per optimizer step. */
  batchSize: number;
  warmupSteps: number;
  /** AdamW decay of matrices; gains, biases and logit_scale get none (open_clip's exclusion rule). */
  weightDecay: number;
  seed: number;
  /** Share of the labelled prompts held out for evaluation. */
  testFraction: number;
  /** > 0: LoRA of this rank on every attention projection of both towers (plus the head) instead of `blocks`. */
  loraRank: number;
  /** LoRA scale = loraAlpha / loraRank. */
  loraAlpha: number;
}

export const DEFAULT_SETTINGS: TrainSettings = {
  blocks: 1,
  steps: 100,
  lr: 1e-5,
  batchSize: 8,
  warmupSteps: 10,
  weightDecay: 0.2,
  seed: 0,
  testFraction: 0.2,
  loraRank: 0,
  loraAlpha: 1,
};

export interface StepLog {
  step: number;
  loss: number;
  lr: number;
  logitScale: number;
}

export interface TrainOptions {
  library: Library;
  base: BaseModel;
  /** bpe_simple_vocab_16e6.txt.gz or an HF tokenizer folder. */
  vocab: string;
  settings?: Partial<TrainSettings>;
  ep?: ExecutionProvider;
  /** Awaited, so a log writer keeps the steps in order. */
  onStep?: (log: StepLog) => void | Promise<void>;
  onProgress?: (message: string) => void;
  signal?: AbortSignal;
}

export interface TrainReport {
  settings: TrainSettings;
  trainComparisons: number;
  testComparisons: number;
  testPromptIds: number[];
  heldOutPairs: number;
  before: HeldOutAccuracy;
  after: HeldOutAccuracy;
  /** The library's stored scores of other scorers on the same held-out pairs. */
  others: ScorerAccuracy[];
  losses: number[];
  timings: { encodeMs: number; trainMs: number; msPerStep: number; evaluateMs: number };
}

export interface TrainResult {
  report: TrainReport;
  /** The changed weights by reference name (float32; LoRA merged into its weights). */
  trained: TensorSet;
}

function isDecayed(name: string, shape: readonly number[]): boolean {
  return shape.length >= 2 && !/(^|\.)ln_|bias|logit_scale/.test(name);
}

function groupByImageCount(batch: readonly PreferenceExample[]): Map<number, PreferenceExample[]> {
  const groups = new Map<number, PreferenceExample[]>();
  for (const e of batch) groups.set(e.imageIds.length, [...(groups.get(e.imageIds.length) ?? []), e]);
  return groups;
}

/** Seeded batches drawn epoch by epoch (every example once per epoch). */
function batchStream(
  examples: readonly PreferenceExample[],
  batchSize: number,
  seed: number,
): () => PreferenceExample[] {
  const random = mulberry32(seed);
  let order: PreferenceExample[] = [];
  return () => {
    const batch: PreferenceExample[] = [];
    while (batch.length < Math.min(batchSize, examples.length)) {
      if (order.length === 0) order = seededShuffle(examples, random);
      batch.push(order.pop()!);
    }
    return batch;
  };
}

function addInto(sum: TensorSet, grads: Readonly<TensorSet>): void {
  for (const [name, g] of Object.entries(grads)) {
    const s = (sum[name] ??= new Float32Array(g.length));
    for (let i = 0; i < g.length; i++) s[i]! += g[i]!;
  }
}

export async function trainPreferenceModel(options: TrainOptions): Promise<TrainResult> {
  const settings: TrainSettings = { ...DEFAULT_SETTINGS, ...options.settings };
  const progress = options.onProgress ?? (() => undefined);
  const { examples, judgments, comparisons } = await libraryLabels(options.library);
  const split = splitByPrompt(examples, settings.testFraction, settings.seed);
  if (split.train.length === 0)
    throw new Error('no labelled comparisons are left for training after the held-out split');
  const pairs = heldOutPairs(split.test, judgments, comparisons);
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'hps-preference-'));
  const lora = settings.loraRank > 0 ? { rank: settings.loraRank, alpha: settings.loraAlpha } : undefined;
  if (lora && !Number.isInteger(lora.rank))
    throw new Error(`the LoRA rank must be a whole number, got ${lora.rank}`);
  const sessions = new PreferenceSessions(options.base, settings.blocks, {
    ep: options.ep,
    workDir,
    lora,
    seed: settings.seed,
  });
  try {
    const tokenizer = await ClipTokenizer.load(options.vocab);
    const started = performance.now();
    const prompts = new Map(examples.map((e) => [e.promptId, e.prompt]));
    const encoded = await EncodedSet.encode(
      sessions,
      options.library,
      tokenizer,
      { imageIds: examples.flatMap((e) => e.imageIds), prompts },
      (done, total) => progress(`encoding images through the frozen blocks: ${done}/${total}`),
    );
    const encodeMs = performance.now() - started;

    let evaluateMs = 0;
    const evaluate = async () => {
      const t = performance.now();
      const result = accuracyOf(
        pairs,
        lookup(await modelCosines(sessions, encoded, split.test)),
        settings.seed,
      );
      evaluateMs += performance.now() - t;
      return result;
    };
    const before = await evaluate();

    const trainStarted = performance.now();
    const losses = await optimize(sessions, encoded, split.train, settings, options);
    const trainMs = performance.now() - trainStarted;
    const after = await evaluate();
    return {
      report: {
        settings,
        trainComparisons: split.train.length,
        testComparisons: split.test.length,
        testPromptIds: split.testPromptIds,
        heldOutPairs: pairs.length,
        before,
        after,
        others: await storedScorerAccuracy(options.library, pairs, settings.seed),
        losses,
        timings: { encodeMs, trainMs, msPerStep: trainMs / Math.max(1, settings.steps), evaluateMs },
      },
      trained: sessions.mergedWeights(),
    };
  } finally {
    await sessions.close();
    await rm(workDir, { recursive: true, force: true });
  }
}

async function optimize(
  sessions: PreferenceSessions,
  encoded: EncodedSet,
  train: readonly PreferenceExample[],
  settings: TrainSettings,
  options: TrainOptions,
): Promise<number[]> {
  const decayed = sessions.trainable.filter((name) => isDecayed(name, sessions.shape(name)));
  const opts = [
    { names: decayed, opt: new AdamW({ lr: settings.lr, weightDecay: settings.weightDecay }) },
    {
      names: sessions.trainable.filter((n) => !decayed.includes(n)),
      opt: new AdamW({ lr: settings.lr, weightDecay: 0 }),
    },
  ];
  const lrAt = cosineWithWarmup({
    lr: settings.lr,
    warmupSteps: Math.min(settings.warmupSteps, settings.steps),
    totalSteps: settings.steps,
  });
  const nextBatch = batchStream(train, settings.batchSize, settings.seed);
  const losses: number[] = [];
  for (let step = 0; step < settings.steps; step++) {
    options.signal?.throwIfAborted();
    const batch = nextBatch();
    const sum: TensorSet = {};
    let loss = 0;
    for (const [imageCount, group] of groupByImageCount(batch)) {
      const targets = Float32Array.from(group.flatMap((e) => e.targets));
      const result = await sessions.step(
        encoded.images(group.flatMap((e) => e.imageIds)),
        encoded.prompts(group.map((e) => e.promptId)),
        targets,
        imageCount,
      );
      loss += result.loss;
      addInto(sum, result.grads);
    }
    for (const g of Object.values(sum)) for (let i = 0; i < g.length; i++) g[i]! /= batch.length;
    // open_clip's warmup (HPS v2's trainer): base_lr · (step + 1) / warmup, so the first update is not lr 0.
    const lr = lrAt(step + 1);
    for (const { names, opt } of opts) {
      opt.lr = lr;
      opt.step(pick(sessions.params, names), pick(sum, names));
    }
    const scale = sessions.params[LOGIT_SCALE]!;
    scale[0] = Math.min(Math.max(scale[0]!, 0), MAX_LOGIT_SCALE);
    losses.push(loss / batch.length);
    await options.onStep?.({ step: step + 1, loss: loss / batch.length, lr, logitScale: scale[0]! });
  }
  return losses;
}

function pick(set: TensorSet, names: readonly string[]): TensorSet {
  return Object.fromEntries(names.map((n) => [n, set[n]!]));
}
