// How well a scorer predicts human pairwise choices (the paper's question), under the two tie conventions.
import type { TieConvention } from '../../contract/names';
import { bootstrapMeanInterval, type BootstrapOptions } from './bootstrap';

export type Outcome = 'a' | 'b' | 'tie';

export interface HumanPair {
  a: number;
  b: number;
  /** Which image the human preferred, or a tie. */
  outcome: Outcome;
  /** The prompt both images were made for (scores are per image and prompt). */
  promptId?: number;
}

export type ScoreLookup = (imageId: number, promptId?: number) => number | undefined;

/**
 * 'drop-ties' (ImageReward): pairs the human called a tie are left out.
 * 'half-credit' (Pick-a-Pic): every pair counts; half credit when exactly one of human and model says tie,
 * full credit when both do.
 * In both, a model tie (|score a − score b| ≤ threshold) against a human preference earns half credit.
 */
export type { TieConvention };

export interface AccuracyOptions {
  convention: TieConvention;
  /** Score differences up to this are a model tie (Pick-a-Pic tunes it on validation data). Default 0. */
  modelTieThreshold?: number;
  bootstrap?: BootstrapOptions;
}

export interface AccuracyResult {
  convention: TieConvention;
  accuracy: number | null;
  /** Pairs that counted. */
  n: number;
  /** Bootstrap percentile interval (default 95 %, seeded). */
  interval: [number, number] | null;
  /** Pairs left out because an image had no score. */
  unscored: number;
}

export function modelOutcome(scoreA: number, scoreB: number, threshold = 0): Outcome {
  if (Math.abs(scoreA - scoreB) <= threshold) return 'tie';
  return scoreA > scoreB ? 'a' : 'b';
}

/** Credit for one pair, or null when the convention leaves the pair out. */
export function pairCredit(human: Outcome, model: Outcome, convention: TieConvention): number | null {
  if (human === 'tie') {
    if (convention === 'drop-ties') return null;
    return model === 'tie' ? 1 : 0.5;
  }
  if (model === 'tie') return 0.5;
  return human === model ? 1 : 0;
}

export function pairwiseAccuracy(
  pairs: readonly HumanPair[],
  scoreOf: ScoreLookup,
  options: AccuracyOptions,
): AccuracyResult {
  const credits: number[] = [];
  let unscored = 0;
  for (const pair of pairs) {
    const scoreA = scoreOf(pair.a, pair.promptId);
    const scoreB = scoreOf(pair.b, pair.promptId);
    if (scoreA === undefined || scoreB === undefined) {
      unscored++;
      continue;
    }
    const credit = pairCredit(
      pair.outcome,
      modelOutcome(scoreA, scoreB, options.modelTieThreshold),
      options.convention,
    );
    if (credit !== null) credits.push(credit);
  }
  const accuracy = credits.length === 0 ? null : credits.reduce((total, c) => total + c, 0) / credits.length;
  return {
    convention: options.convention,
    accuracy,
    n: credits.length,
    interval: bootstrapMeanInterval(credits, options.bootstrap),
    unscored,
  };
}

/**
 * Pick-a-Pic's model tie threshold, tuned on validation pairs: the score gap (among 0 and the observed gaps)
 * that maximises half-credit accuracy; the smallest such gap when several do equally well.
 */
export function tuneTieThreshold(
  pairs: readonly HumanPair[],
  scoreOf: ScoreLookup,
): { threshold: number; accuracy: number | null } {
  const gaps = new Set<number>([0]);
  for (const pair of pairs) {
    const a = scoreOf(pair.a, pair.promptId);
    const b = scoreOf(pair.b, pair.promptId);
    if (a !== undefined && b !== undefined) gaps.add(Math.abs(a - b));
  }
  let best = { threshold: 0, accuracy: null as number | null };
  for (const threshold of [...gaps].sort((x, y) => x - y)) {
    const { accuracy } = pairwiseAccuracy(pairs, scoreOf, {
      convention: 'half-credit',
      modelTieThreshold: threshold,
      bootstrap: { samples: 0 },
    });
    if (accuracy !== null && (best.accuracy === null || accuracy > best.accuracy))
      best = { threshold, accuracy };
  }
  return best;
}

/**
 * HPD v2's ranking accuracy: per human ranking (image ids, best first), 1 − discordant pairs / all pairs,
 * averaged over rankings. A pair the model scores equal counts as discordant.
 */
export function rankingAccuracy(
  rankings: readonly { ranking: number[]; promptId?: number }[],
  scoreOf: ScoreLookup,
): { accuracy: number | null; n: number } {
  const perRanking: number[] = [];
  for (const { ranking, promptId } of rankings) {
    const scores = ranking.map((imageId) => scoreOf(imageId, promptId));
    if (ranking.length < 2 || scores.some((s) => s === undefined)) continue;
    let discordant = 0;
    let pairs = 0;
    for (let i = 0; i < ranking.length; i++) {
      for (let j = i + 1; j < ranking.length; j++) {
        pairs++;
        if (!(scores[i]! > scores[j]!)) discordant++;
      }
    }
    perRanking.push(1 - discordant / pairs);
  }
  const accuracy = perRanking.length === 0 ? null : perRanking.reduce((t, v) => t + v, 0) / perRanking.length;
  return { accuracy, n: perRanking.length };
}
