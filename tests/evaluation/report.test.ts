import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  agreementReport,
  bradleyTerryForPrompt,
  comparisonAgreement,
  metricAccuracyReport,
} from '../../main/services/evaluation';
import { Library, type Comparison } from '../../main/services/library';
import { makePng, tempDir } from '../library/helpers';

// Four two-image comparisons c1…c4 labelled by annotators A and B ("p0" = the comparison's first image):
//            c1   c2   c3   c4
//   A        p0   p0   p1   tie
//   B        p0   p1   p1   tie
// c1's gold answer is its first image.
let lib: Library;
let cleanup: () => void;
let comparisons: Comparison[];

beforeAll(async () => {
  const temp = tempDir();
  cleanup = temp.cleanup;
  lib = await Library.open(temp.dir);
  comparisons = [];
  for (let c = 0; c < 4; c++) {
    const first = (await lib.addImage(await makePng(c * 2))).image.id;
    const second = (await lib.addImage(await makePng(c * 2 + 1))).image.id;
    comparisons.push(
      (await lib.addComparison({ prompt: `prompt ${c}`, imageIds: [first, second] })).comparison,
    );
  }
  await lib.setGold(comparisons[0]!.id, comparisons[0]!.images[0]!.id);
  const a = (await lib.annotators.create('A')).annotator.id;
  const b = (await lib.annotators.create('B')).annotator.id;
  // [annotator, comparison, pick (0/1/'tie'), shown order as positions, ms]
  const plan: [number, number, 0 | 1 | 'tie', [number, number], number][] = [
    [a, 0, 0, [0, 1], 1000],
    [a, 1, 0, [1, 0], 2000],
    [a, 2, 1, [0, 1], 3000],
    [a, 3, 'tie', [0, 1], 4000],
    [b, 0, 0, [0, 1], 500],
    [b, 1, 1, [0, 1], 700],
    [b, 2, 1, [1, 0], 900],
    [b, 3, 'tie', [1, 0], 1100],
  ];
  for (const [annotatorId, n, pick, shown, ms] of plan) {
    const ids = comparisons[n]!.images.map((image) => image.id);
    await lib.judgments.submit({
      comparisonId: comparisons[n]!.id,
      annotatorId,
      kind: pick === 'tie' ? 'tie' : 'choice',
      chosenImageId: pick === 'tie' ? null : ids[pick],
      shownOrder: shown.map((position) => ids[position]!),
      decisionMs: ms,
      idempotencyKey: `${annotatorId}-${n}`,
    });
  }
  // Scorer "m" prefers the first image in c1, c2, c4 and the second in c3.
  for (const [n, comparison] of comparisons.entries()) {
    const [first, second] = comparison.images;
    await lib.scores.set({
      modelId: 'm',
      imageId: first!.id,
      promptId: comparison.promptId,
      score: n === 2 ? 0.1 : 0.9,
      cosine: null,
    });
    await lib.scores.set({
      modelId: 'm',
      imageId: second!.id,
      promptId: comparison.promptId,
      score: n === 2 ? 0.9 : 0.1,
      cosine: null,
    });
  }
});
afterAll(async () => {
  await lib.close();
  cleanup();
});

describe('agreement report from a library', () => {
  it('percent agreement, Cohen κ, Fleiss κ and Krippendorff α match the hand computation', async () => {
    const report = await agreementReport(lib);
    // 3 of the 4 items agree → 0.75
    expect(report.percent).toEqual({ agreement: 0.75, pairs: 4, items: 4 });
    // p_o = 3/4; A: p0 ½, p1 ¼, tie ¼; B: p0 ¼, p1 ½, tie ¼ → p_e = ⅛ + ⅛ + 1/16 = 5/16 → κ = (12/16 − 5/16)/(11/16) = 7/11
    expect(report.cohenKappa).toHaveLength(1);
    expect(report.cohenKappa[0]).toMatchObject({ a: 'A', b: 'B', n: 4 });
    expect(report.cohenKappa[0]!.kappa).toBeCloseTo(7 / 11, 12);
    // counts per item [p0, p1, tie]: [2,0,0] [1,1,0] [0,2,0] [0,0,2] → P̄ = 3/4, p = 3/8, 3/8, 2/8 → P_e = 22/64
    // κ = (48/64 − 22/64) / (42/64) = 13/21
    expect(report.fleissKappa).toBeCloseTo(13 / 21, 12);
    // n = 8, n_c = 3, 3, 2; off-diagonal coincidences 2 (item c2) → α = 1 − 7·2 / (64 − 22) = 2/3
    expect(report.krippendorffAlpha).toBeCloseTo(2 / 3, 12);
  });

  it('agreement per comparison for the curation grid', async () => {
    // c2 is the only item where A and B differ
    const perComparison = await comparisonAgreement(lib);
    expect(comparisons.map((c) => perComparison.get(c.id))).toEqual([
      { ratings: 2, agreement: 1 },
      { ratings: 2, agreement: 0 },
      { ratings: 2, agreement: 1 },
      { ratings: 2, agreement: 1 },
    ]);
  });

  it('left pick rate, decision times and gold accuracy per annotator', async () => {
    const report = await agreementReport(lib);
    // Left picks: A c1 (left), c2 (right), c3 (right); B c1 (left), c2 (right), c3 (left) → 3 / 6
    expect(report.leftPickRate).toEqual({ n: 6, rate: 0.5 });
    const [a, b] = report.annotators;
    expect(a).toMatchObject({ name: 'A', judgments: 4, gold: { n: 1, rate: 1 } });
    expect(a!.leftPickRate.rate).toBeCloseTo(1 / 3, 12);
    expect(b!.leftPickRate.rate).toBeCloseTo(2 / 3, 12);
    // A: 1000, 2000, 3000, 4000 → median 2500, mean 2500; B: 500, 700, 900, 1100 → median 800, mean 800
    expect(a!.decisionTime).toEqual({ n: 4, medianMs: 2500, meanMs: 2500 });
    expect(b!.decisionTime).toEqual({ n: 4, medianMs: 800, meanMs: 800 });
  });
});

describe('metric accuracy report from a library', () => {
  it('scores against the judgments under both tie conventions, with n and a seeded interval', async () => {
    const report = await metricAccuracyReport(lib, 'm', { bootstrap: { seed: 1, samples: 500 } });
    // Non-tie pairs: A agrees on c1, c2, c3; B on c1, c3 and not c2 → drop ties: 5 / 6.
    expect(report.dropTies).toMatchObject({ n: 6, unscored: 0 });
    expect(report.dropTies.accuracy).toBeCloseTo(5 / 6, 12);
    // Half credit adds the two c4 ties, where the model prefers an image: ½ each → (5 + 1) / 8 = 0.75
    expect(report.halfCredit).toMatchObject({ n: 8, accuracy: 0.75 });
    const [low, high] = report.halfCredit.interval!;
    expect(low).toBeLessThanOrEqual(0.75);
    expect(high).toBeGreaterThanOrEqual(0.75);
    expect(await metricAccuracyReport(lib, 'm', { bootstrap: { seed: 1, samples: 500 } })).toEqual(report);
    // Without scores every one of the 8 human pairs (ties included) is unscored.
    expect((await metricAccuracyReport(lib, 'unknown-model')).dropTies).toMatchObject({
      n: 0,
      unscored: 8,
      accuracy: null,
    });
  });

  it('Bradley–Terry per prompt from the library pairs', async () => {
    // c1: both annotators prefer the first image and nobody the second → the second's MLE strength is 0
    const strengths = await bradleyTerryForPrompt(lib, comparisons[0]!.promptId);
    expect(strengths.get(comparisons[0]!.images[1]!.id)).toBeCloseTo(0, 6);
    // c2: one vote each way → equal strengths
    const even = await bradleyTerryForPrompt(lib, comparisons[1]!.promptId);
    const [x, y] = comparisons[1]!.images.map((image) => even.get(image.id)!);
    expect(x).toBeCloseTo(y!, 9);
  });
});
