// Held-out pairwise accuracy of the model in training (and of any other scorer's stored scores) on the
// human pairs of the held-out comparisons, under both tie conventions, with seeded bootstrap intervals.
import { humanPairsFromJudgments, type ComparisonView, type JudgmentView } from '../evaluation/judgmentStats';
import {
  pairwiseAccuracy,
  type AccuracyResult,
  type HumanPair,
  type ScoreLookup,
} from '../evaluation/metricAccuracy';
import type { Library } from '../library';
import type { PreferenceExample } from './data';
import type { EncodedSet } from './encoded';
import type { PreferenceSessions } from './model-sessions';

const FEATURE_BATCH = 64;

export interface HeldOutAccuracy {
  dropTies: AccuracyResult;
  halfCredit: AccuracyResult;
}

export interface ScorerAccuracy extends HeldOutAccuracy {
  modelId: string;
}

export function heldOutPairs(
  examples: readonly PreferenceExample[],
  judgments: readonly JudgmentView[],
  comparisons: ReadonlyMap<number, ComparisonView>,
): HumanPair[] {
  const held = new Set(examples.map((e) => e.comparisonId));
  return humanPairsFromJudgments(
    judgments.filter((j) => held.has(j.comparisonId)),
    comparisons,
  );
}

export function accuracyOf(pairs: readonly HumanPair[], scoreOf: ScoreLookup, seed: number): HeldOutAccuracy {
  const bootstrap = { seed };
  return {
    dropTies: pairwiseAccuracy(pairs, scoreOf, { convention: 'drop-ties', bootstrap }),
    halfCredit: pairwiseAccuracy(pairs, scoreOf, { convention: 'half-credit', bootstrap }),
  };
}

const key = (imageId: number, promptId?: number) => `${imageId}:${promptId}`;

/** Cosines of every (image, prompt) of the examples under the sessions' current weights. */
export async function modelCosines(
  sessions: PreferenceSessions,
  encoded: EncodedSet,
  examples: readonly PreferenceExample[],
): Promise<Map<string, number>> {
  const embed = sessions.cfg.embedDim;
  const imageIds = [...new Set(examples.flatMap((e) => e.imageIds))];
  const promptIds = [...new Set(examples.map((e) => e.promptId))];
  const images = new Map<number, Float64Array>();
  for (let start = 0; start < imageIds.length; start += FEATURE_BATCH) {
    const batch = imageIds.slice(start, start + FEATURE_BATCH);
    const features = await sessions.imageFeatures(encoded.images(batch));
    batch.forEach((id, i) => images.set(id, unit(features.subarray(i * embed, (i + 1) * embed))));
  }
  const texts = await sessions.textFeatures(encoded.prompts(promptIds));
  const prompts = new Map(promptIds.map((id, i) => [id, unit(texts.subarray(i * embed, (i + 1) * embed))]));
  const cosines = new Map<string, number>();
  for (const e of examples)
    for (const imageId of e.imageIds)
      cosines.set(key(imageId, e.promptId), dot(images.get(imageId)!, prompts.get(e.promptId)!));
  return cosines;
}

export function lookup(cosines: ReadonlyMap<string, number>): ScoreLookup {
  return (imageId, promptId) => cosines.get(key(imageId, promptId));
}

/** Held-out accuracy of every scorer whose scores the library stores. */
export async function storedScorerAccuracy(
  library: Library,
  pairs: readonly HumanPair[],
  seed: number,
): Promise<ScorerAccuracy[]> {
  const accuracies: ScorerAccuracy[] = [];
  for (const modelId of await library.scores.models()) {
    const scores = new Map(
      (await library.scores.list({ modelId })).map((s) => [key(s.imageId, s.promptId), s.score]),
    );
    accuracies.push({ modelId, ...accuracyOf(pairs, lookup(scores), seed) });
  }
  return accuracies;
}

function unit(v: ArrayLike<number>): Float64Array {
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += v[i]! * v[i]!;
  const norm = Math.sqrt(sum) || 1;
  return Float64Array.from(v as ArrayLike<number>, (x) => x / norm);
}

function dot(a: Float64Array, b: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
}
