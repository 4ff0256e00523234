import { describe, expect, it } from 'vitest';
import {
  bootstrapMeanInterval,
  bradleyTerry,
  decisionTimes,
  goldAccuracy,
  humanPairsFromJudgments,
  leftPickRate,
  pairCredit,
  pairwiseAccuracy,
  quantile,
  rankingAccuracy,
  ratingsFromJudgments,
  tuneTieThreshold,
  type ComparisonView,
  type HumanPair,
  type JudgmentView,
} from '../../main/services/evaluation';

// Five pairs (image ids 1…10) with a scorer's scores; outcome = the human's verdict.
//   P1: human a,   scores 0.9 / 0.1 → model a   (agree)
//   P2: human b,   scores 0.6 / 0.4 → model a   (disagree; |Δ| = 0.2)
//   P3: human tie, scores 0.7 / 0.2 → model a
//   P4: human a,   scores 0.5 / 0.5 → model tie
//   P5: human tie, scores 0.3 / 0.3 → model tie
const pairs: HumanPair[] = [
  { a: 1, b: 2, outcome: 'a' },
  { a: 3, b: 4, outcome: 'b' },
  { a: 5, b: 6, outcome: 'tie' },
  { a: 7, b: 8, outcome: 'a' },
  { a: 9, b: 10, outcome: 'tie' },
];
const scores = new Map([
  [1, 0.9],
  [2, 0.1],
  [3, 0.6],
  [4, 0.4],
  [5, 0.7],
  [6, 0.2],
  [7, 0.5],
  [8, 0.5],
  [9, 0.3],
  [10, 0.3],
]);
const scoreOf = (id: number) => scores.get(id);

describe('pairwise metric accuracy under both tie conventions', () => {
  it('drop human ties (ImageReward): P3 and P5 leave; credits 1, 0, ½ → 1.5 / 3 = 0.5', () => {
    const result = pairwiseAccuracy(pairs, scoreOf, { convention: 'drop-ties' });
    expect(result).toMatchObject({ accuracy: 0.5, n: 3, unscored: 0 });
  });

  it('half credit (Pick-a-Pic): credits 1, 0, ½, ½, 1 → 3 / 5 = 0.6', () => {
    expect(pairwiseAccuracy(pairs, scoreOf, { convention: 'half-credit' })).toMatchObject({
      accuracy: 0.6,
      n: 5,
    });
  });

  it('a model tie threshold of 0.25 turns P2 (|Δ| = 0.2) into a model tie', () => {
    // drop: P1 1, P2 ½, P4 ½ → 2 / 3.  half credit: 1, ½, ½ (P3 |Δ| = 0.5 stays a), ½, 1 → 3.5 / 5 = 0.7
    expect(
      pairwiseAccuracy(pairs, scoreOf, { convention: 'drop-ties', modelTieThreshold: 0.25 }).accuracy,
    ).toBeCloseTo(2 / 3, 12);
    expect(
      pairwiseAccuracy(pairs, scoreOf, { convention: 'half-credit', modelTieThreshold: 0.25 }).accuracy,
    ).toBeCloseTo(0.7, 12);
  });

  it('tunes the model tie threshold on validation pairs (Pick-a-Pic)', () => {
    // Half-credit accuracy per candidate gap: 0 → 0.6; 0.2 (P2 becomes a model tie, 0 → ½) → 0.7;
    // 0.5 (P3: human tie and now model tie, ½ → 1) → 0.8; 0.8 (P1 becomes a tie, 1 → ½) → 0.7. Best: 0.5.
    const tuned = tuneTieThreshold(pairs, scoreOf);
    expect(tuned.threshold).toBeCloseTo(0.5, 12);
    expect(tuned.accuracy).toBeCloseTo(0.8, 12);
  });

  it('credit table', () => {
    expect(pairCredit('a', 'a', 'drop-ties')).toBe(1);
    expect(pairCredit('a', 'b', 'half-credit')).toBe(0);
    expect(pairCredit('tie', 'a', 'drop-ties')).toBeNull();
    expect(pairCredit('tie', 'b', 'half-credit')).toBe(0.5);
    expect(pairCredit('tie', 'tie', 'half-credit')).toBe(1);
    expect(pairCredit('b', 'tie', 'half-credit')).toBe(0.5);
  });

  it('counts pairs whose images have no score as unscored, not as errors', () => {
    const result = pairwiseAccuracy([...pairs, { a: 1, b: 99, outcome: 'a' }], scoreOf, {
      convention: 'half-credit',
    });
    expect(result).toMatchObject({ n: 5, unscored: 1, accuracy: 0.6 });
    expect(pairwiseAccuracy([], scoreOf, { convention: 'half-credit' })).toMatchObject({
      accuracy: null,
      n: 0,
      interval: null,
    });
  });

  it('looks scores up per prompt', () => {
    const perPrompt = (id: number, prompt?: number) => (prompt === 2 ? -scores.get(id)! : scores.get(id));
    const flipped = pairwiseAccuracy([{ ...pairs[0]!, promptId: 2 }], perPrompt, { convention: 'drop-ties' });
    expect(flipped.accuracy).toBe(0);
  });
});

describe('bootstrap interval', () => {
  it('is seeded, contains the estimate, and collapses when every credit is the same', () => {
    const credits = Array.from({ length: 200 }, (_, i) => (i % 4 === 0 ? 0 : 1)); // mean 0.75
    const first = bootstrapMeanInterval(credits, { seed: 42 })!;
    expect(bootstrapMeanInterval(credits, { seed: 42 })).toEqual(first);
    expect(bootstrapMeanInterval(credits, { seed: 43 })).not.toEqual(first);
    expect(first[0]).toBeLessThan(0.75);
    expect(first[1]).toBeGreaterThan(0.75);
    // Standard error √(0.75·0.25/200) = 0.0306 → a 95 % interval about ±0.06 wide on each side.
    expect(first[1] - first[0]).toBeGreaterThan(0.08);
    expect(first[1] - first[0]).toBeLessThan(0.16);
    expect(bootstrapMeanInterval([1, 1, 1, 1])).toEqual([1, 1]);
  });

  it('quantile interpolates linearly between order statistics', () => {
    // sorted [10, 20, 30, 40]: position (4 − 1)·0.5 = 1.5 → 25; position 3·0.25 = 0.75 → 17.5
    expect(quantile([10, 20, 30, 40], 0.5)).toBe(25);
    expect(quantile([10, 20, 30, 40], 0.25)).toBe(17.5);
  });
});

describe('HPD v2 ranking accuracy', () => {
  it('is 1 − discordant / all pairs per ranking, averaged', () => {
    // ranking [1, 2, 3] with scores 3, 1, 2: (1,2) ok, (1,3) ok, (2,3) discordant → 2/3; [4, 5] scored 1, 2 → 0
    const s = new Map([
      [1, 3],
      [2, 1],
      [3, 2],
      [4, 1],
      [5, 2],
    ]);
    const result = rankingAccuracy([{ ranking: [1, 2, 3] }, { ranking: [4, 5] }], (id) => s.get(id));
    expect(result.n).toBe(2);
    expect(result.accuracy).toBeCloseTo((2 / 3 + 0) / 2, 12);
  });
});

describe('Bradley–Terry', () => {
  it('recovers the MLE: 3 wins to 1 → strength ratio 3', () => {
    // Two players: L = p_a³ p_b / (p_a + p_b)⁴ is maximised at p_a / (p_a + p_b) = 3/4, i.e. p_a / p_b = 3.
    const strengths = bradleyTerry([
      { winner: 1, loser: 2 },
      { winner: 1, loser: 2 },
      { winner: 1, loser: 2 },
      { winner: 2, loser: 1 },
    ]);
    expect(strengths.get(1)! / strengths.get(2)!).toBeCloseTo(3, 6);
    expect(strengths.get(1)! * strengths.get(2)!).toBeCloseTo(1, 6); // geometric mean 1
  });

  it('counts a tie as half a win each', () => {
    // a beats b once and ties once → a has 1.5 of 2 → ratio 1.5 / 0.5 = 3
    const strengths = bradleyTerry([
      { winner: 1, loser: 2 },
      { winner: 1, loser: 2, tie: true },
    ]);
    expect(strengths.get(1)! / strengths.get(2)!).toBeCloseTo(3, 6);
  });
});

describe('judgment statistics', () => {
  // Comparison 1: images 10, 11 (gold 11). Comparison 2: images 20, 21, 22.
  const comparisons = new Map<number, ComparisonView>([
    [1, { id: 1, promptId: 100, imageIds: [10, 11], goldImageId: 11 }],
    [2, { id: 2, promptId: 200, imageIds: [20, 21, 22], goldImageId: null }],
  ]);
  const j = (over: Partial<JudgmentView>): JudgmentView => ({
    comparisonId: 1,
    annotatorId: 1,
    kind: 'choice',
    chosenImageId: 10,
    ranking: null,
    shownOrder: [10, 11],
    decisionMs: null,
    ...over,
  });
  const judgments: JudgmentView[] = [
    j({ annotatorId: 1, chosenImageId: 11, shownOrder: [11, 10], decisionMs: 1000 }), // left pick, gold right
    j({ annotatorId: 2, chosenImageId: 10, shownOrder: [11, 10], decisionMs: 3000 }), // right pick, gold wrong
    j({ annotatorId: 3, kind: 'tie', chosenImageId: null, decisionMs: 500 }), // gold wrong
    j({ annotatorId: 4, kind: 'skip', chosenImageId: null, decisionMs: 200 }), // no label at all
    j({ comparisonId: 2, annotatorId: 1, chosenImageId: 22, shownOrder: [22, 20, 21], decisionMs: 2000 }),
    j({
      comparisonId: 2,
      annotatorId: 2,
      kind: 'ranking',
      chosenImageId: null,
      ranking: [21, 22, 20],
      shownOrder: [20, 21, 22],
    }),
    j({ comparisonId: 2, annotatorId: 3, kind: 'both-bad', chosenImageId: null, shownOrder: [20, 21, 22] }),
  ];

  it('labels judgments by stored position, not by shown side', () => {
    expect(
      ratingsFromJudgments(judgments, comparisons).map((r) => `${r.item}/${r.rater}:${r.label}`),
    ).toEqual(['1/1:pick:1', '1/2:pick:0', '1/3:tie', '2/1:pick:2', '2/2:rank:1>2>0', '2/3:both-bad']);
  });

  it('expands choices, rankings and ties into human pairs; both-bad and skip state none', () => {
    // choice 11 over 10; choice 10 over 11; tie (10, 11); choice 22 over 20 and 21; ranking 21 > 22 > 20 → 3 pairs
    expect(
      humanPairsFromJudgments(judgments, comparisons).map(
        (p) => `${p.a}${p.outcome === 'tie' ? '=' : '>'}${p.b}`,
      ),
    ).toEqual(['11>10', '10>11', '10=11', '22>20', '22>21', '21>22', '21>20', '22>20']);
  });

  it('left pick rate uses two-image choices only', () => {
    // annotator 1 picked the left image (11 shown left), annotator 2 the right one → 1 / 2
    const { overall, perAnnotator } = leftPickRate(judgments);
    expect(overall).toEqual({ n: 2, rate: 0.5 });
    expect(perAnnotator.get(1)).toEqual({ n: 1, rate: 1 });
    expect(perAnnotator.get(2)).toEqual({ n: 1, rate: 0 });
  });

  it('decision time per annotator: median and mean', () => {
    // annotator 1: 1000 and 2000 → median 1500, mean 1500; annotator 2: only 3000 recorded
    const times = decisionTimes(judgments);
    expect(times.get(1)).toEqual({ n: 2, medianMs: 1500, meanMs: 1500 });
    expect(times.get(2)).toEqual({ n: 1, medianMs: 3000, meanMs: 3000 });
    expect(times.get(4)).toEqual({ n: 1, medianMs: 200, meanMs: 200 });
  });

  it('gold accuracy: gold pick right, other pick or tie wrong, skip ignored', () => {
    const gold = goldAccuracy(judgments, comparisons);
    expect(gold.get(1)).toEqual({ n: 1, rate: 1 });
    expect(gold.get(2)).toEqual({ n: 1, rate: 0 });
    expect(gold.get(3)).toEqual({ n: 1, rate: 0 });
    expect(gold.has(4)).toBe(false);
  });
});
