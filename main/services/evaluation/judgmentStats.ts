// Turning stored judgments into the inputs of the statistics, and the per-annotator quality figures.
import type { JudgmentKind } from '../../contract/names';
import type { Rating } from './agreement';
import type { HumanPair } from './metricAccuracy';
import type { Contest } from './bradleyTerry';

export interface JudgmentView {
  comparisonId: number;
  annotatorId: number;
  kind: JudgmentKind;
  chosenImageId: number | null;
  ranking: number[] | null;
  shownOrder: number[];
  decisionMs: number | null;
}

export interface ComparisonView {
  id: number;
  promptId: number;
  imageIds: number[];
  goldImageId: number | null;
}

/**
 * Nominal labels for agreement, one per non-skip judgment: the chosen image's position in the comparison
 * (`pick:0`, `pick:1`, …), `tie`, `both-bad`, or the full ranking by position. Positions are in the
 * comparison's stored order, not the randomised shown order, so labels mean the same for every annotator.
 */
export function ratingsFromJudgments(
  judgments: readonly JudgmentView[],
  comparisons: ReadonlyMap<number, ComparisonView>,
): Rating[] {
  const ratings: Rating[] = [];
  for (const judgment of judgments) {
    const comparison = comparisons.get(judgment.comparisonId);
    if (!comparison || judgment.kind === 'skip') continue;
    const position = (id: number) => comparison.imageIds.indexOf(id);
    const label =
      judgment.kind === 'choice'
        ? `pick:${position(judgment.chosenImageId!)}`
        : judgment.kind === 'ranking'
          ? `rank:${judgment.ranking!.map(position).join('>')}`
          : judgment.kind;
    ratings.push({ item: judgment.comparisonId, rater: judgment.annotatorId, label });
  }
  return ratings;
}

/**
 * Human pairs for metric accuracy: a choice prefers the chosen image over each other one, a ranking gives
 * every ordered pair, a tie makes all its pairs ties. Both-bad and skip state no preference and are left out.
 */
export function humanPairsFromJudgments(
  judgments: readonly JudgmentView[],
  comparisons: ReadonlyMap<number, ComparisonView>,
): HumanPair[] {
  const pairs: HumanPair[] = [];
  for (const judgment of judgments) {
    const comparison = comparisons.get(judgment.comparisonId);
    if (!comparison) continue;
    const ids = comparison.imageIds;
    const promptId = comparison.promptId;
    if (judgment.kind === 'choice') {
      for (const other of ids)
        if (other !== judgment.chosenImageId)
          pairs.push({ a: judgment.chosenImageId!, b: other, outcome: 'a', promptId });
    } else if (judgment.kind === 'ranking') {
      const ranking = judgment.ranking!;
      ranking.forEach((better, i) =>
        ranking.slice(i + 1).forEach((worse) => pairs.push({ a: better, b: worse, outcome: 'a', promptId })),
      );
    } else if (judgment.kind === 'tie') {
      ids.forEach((first, i) =>
        ids.slice(i + 1).forEach((second) => pairs.push({ a: first, b: second, outcome: 'tie', promptId })),
      );
    }
  }
  return pairs;
}

export function contestsFromPairs(pairs: readonly HumanPair[]): Contest[] {
  return pairs.map((pair) =>
    pair.outcome === 'b'
      ? { winner: pair.b, loser: pair.a }
      : { winner: pair.a, loser: pair.b, tie: pair.outcome === 'tie' },
  );
}

export interface Rate {
  n: number;
  rate: number | null;
}

/**
 * Position bias: how often the image shown on the left was chosen, over choice judgments on two-image
 * comparisons (0.5 = no bias). Overall and per annotator.
 */
export function leftPickRate(judgments: readonly JudgmentView[]): {
  overall: Rate;
  perAnnotator: Map<number, Rate>;
} {
  const relevant = judgments.filter((j) => j.kind === 'choice' && j.shownOrder.length === 2);
  const rate = (list: readonly JudgmentView[]): Rate => ({
    n: list.length,
    rate:
      list.length === 0 ? null : list.filter((j) => j.chosenImageId === j.shownOrder[0]).length / list.length,
  });
  const perAnnotator = new Map<number, Rate>();
  for (const annotatorId of new Set(relevant.map((j) => j.annotatorId))) {
    perAnnotator.set(annotatorId, rate(relevant.filter((j) => j.annotatorId === annotatorId)));
  }
  return { overall: rate(relevant), perAnnotator };
}

export interface DecisionTime {
  n: number;
  medianMs: number;
  meanMs: number;
}

/** Decision time per annotator over judgments that recorded one (skips included: they cost time too). */
export function decisionTimes(judgments: readonly JudgmentView[]): Map<number, DecisionTime> {
  const byAnnotator = new Map<number, number[]>();
  for (const j of judgments) {
    if (j.decisionMs === null) continue;
    byAnnotator.set(j.annotatorId, [...(byAnnotator.get(j.annotatorId) ?? []), j.decisionMs]);
  }
  const result = new Map<number, DecisionTime>();
  for (const [annotatorId, times] of byAnnotator) {
    const sorted = [...times].sort((a, b) => a - b);
    const middle = Math.floor(sorted.length / 2);
    const median = sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
    result.set(annotatorId, {
      n: sorted.length,
      medianMs: median,
      meanMs: sorted.reduce((t, v) => t + v, 0) / sorted.length,
    });
  }
  return result;
}

/**
 * Accuracy on gold comparisons per annotator: a choice of the gold image (or a ranking with it first) is
 * correct; any other choice, tie or both-bad is wrong; skips are left out.
 */
export function goldAccuracy(
  judgments: readonly JudgmentView[],
  comparisons: ReadonlyMap<number, ComparisonView>,
): Map<number, Rate> {
  const outcomes = new Map<number, boolean[]>();
  for (const j of judgments) {
    const gold = comparisons.get(j.comparisonId)?.goldImageId ?? null;
    if (gold === null || j.kind === 'skip') continue;
    const correct =
      (j.kind === 'choice' && j.chosenImageId === gold) || (j.kind === 'ranking' && j.ranking![0] === gold);
    outcomes.set(j.annotatorId, [...(outcomes.get(j.annotatorId) ?? []), correct]);
  }
  return new Map(
    [...outcomes].map(([id, list]) => [
      id,
      { n: list.length, rate: list.filter(Boolean).length / list.length },
    ]),
  );
}
