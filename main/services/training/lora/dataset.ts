// The run's data as a pure function of the settings: labeled pairs (human judgments, a pairs file, or chosen by
// a scorer's stored scores) and regularisation images → samples, micro-batch k of the run (data order, latent
// draw, noise, timestep from the seed), fixed evaluation batches, and the LoRA's seeded initial values.
import path from 'node:path';
import type { TensorSet } from '../../../engine/optim';
import { TorchGenerator } from '../../diffusion/rng';
import type { LoraTrainingConfig } from './config';
import type { LoraParamSpec } from './graph';
import {
  describeScorerPairs,
  hpsTrainingSamples,
  libraryPairs,
  readCaptionFolder,
  readPairsJsonl,
  scorerPairs,
  type PairsReport,
  type TrainingPair,
} from './pairs';
import {
  derivedSeed,
  dpoMicroBatch,
  isRegularization,
  mseMicroBatch,
  shuffledIndex,
  type SamplerData,
  type TrainingSample,
} from './sampler';
import type { MicroBatch } from './step';

export interface Dataset {
  /** Where the pairs came from, how many, and what was skipped (shown as the run's progress message). */
  summary: string;
  /** hps: captioned images; dpo: unused. */
  samples: TrainingSample[];
  regularization: TrainingSample[];
  pairs: { chosen: TrainingSample; rejected: TrainingSample }[];
}

/** The run's pairs with a one-line account of what was used and skipped. */
async function readPairs(
  config: LoraTrainingConfig,
  workDir: string,
): Promise<{ pairs: TrainingPair[]; summary: string }> {
  const data = config.data;
  if ('pairs' in data) return humanPairs(await readPairsJsonl(data.pairs), data.pairs);
  if (!data.pairsBy)
    return humanPairs(
      await libraryPairs(data.library, path.join(workDir, 'library-export')),
      "the library's judgments",
    );
  const report = await scorerPairs(data.library, data.pairsBy.scorer, data.pairsBy.minMargin);
  return { pairs: report.pairs, summary: describeScorerPairs(report) };
}

function humanPairs(report: PairsReport, source: string): { pairs: TrainingPair[]; summary: string } {
  return {
    pairs: report.pairs,
    summary: `${report.pairs.length} pairs from ${source}; skipped ${report.skippedTies} ties, ${report.skippedUnlabeled} unlabeled`,
  };
}

export async function loadDataset(config: LoraTrainingConfig, workDir: string): Promise<Dataset> {
  const report = await readPairs(config, workDir);
  const regularization = config.regularization
    ? (await readCaptionFolder(config.regularization.folder)).map((c) => ({
        image: c.image,
        caption: c.caption,
      }))
    : [];
  return {
    summary: report.summary,
    samples: config.recipe === 'hps' ? hpsTrainingSamples(report.pairs) : [],
    regularization,
    pairs: report.pairs.map((p) => ({
      chosen: { image: p.chosen, caption: p.prompt },
      rejected: { image: p.rejected, caption: p.prompt },
    })),
  };
}

/** Micro-batch `k` of the run (k = step · batch + micro). */
export function microBatchAt(
  config: LoraTrainingConfig,
  dataset: Dataset,
  data: SamplerData,
  k: number,
): MicroBatch {
  if (config.recipe === 'dpo') {
    const pair = dataset.pairs[shuffledIndex(config.seed, 10, dataset.pairs.length, k)]!;
    return dpoMicroBatch(data, pair.chosen, pair.rejected, config.seed, k);
  }
  const ratio = config.regularization?.ratio ?? 0;
  const regCount = Math.floor(k * ratio);
  const sample = isRegularization(k, ratio)
    ? dataset.regularization[shuffledIndex(config.seed, 11, dataset.regularization.length, regCount)]!
    : dataset.samples[shuffledIndex(config.seed, 10, dataset.samples.length, k - regCount)]!;
  return mseMicroBatch(data, sample, config.seed, k);
}

/** Fixed micro-batches (own noise stream: negative indices) for a before/after loss comparison. */
export function evaluationBatches(
  config: LoraTrainingConfig,
  dataset: Dataset,
  data: SamplerData,
  count: number,
): MicroBatch[] {
  const size = config.recipe === 'dpo' ? dataset.pairs.length : dataset.samples.length;
  return Array.from({ length: Math.min(count, size) }, (_, i) => {
    if (config.recipe === 'dpo')
      return dpoMicroBatch(data, dataset.pairs[i]!.chosen, dataset.pairs[i]!.rejected, config.seed, -1 - i);
    return mseMicroBatch(data, dataset.samples[i]!, config.seed, -1 - i);
  });
}

/** diffusers' LoRALinearLayer init: down ~ N(0, 1/rank), up = 0 (the LoRA starts as a no-op). */
export function initialParams(specs: readonly LoraParamSpec[], rank: number, seed: number): TensorSet {
  const generator = new TorchGenerator(derivedSeed(seed, 3, 0));
  const params: TensorSet = {};
  for (const spec of specs) {
    params[spec.down] = generator.randn([rank, spec.inFeatures]).map((v) => v / rank);
    params[spec.up] = new Float32Array(spec.outFeatures * rank);
  }
  return params;
}
