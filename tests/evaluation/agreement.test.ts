import { describe, expect, it } from 'vitest';
import {
  cohensKappa,
  fleissKappa,
  fleissKappaFromCounts,
  itemAgreement,
  krippendorffAlphaNominal,
  pairwiseCohensKappa,
  percentAgreement,
  type Rating,
} from '../../main/services/evaluation';

/** Ratings from a table: rows = items, one column per rater, null = not rated. */
function table(rows: (string | number | null)[][], raters: string[]): Rating[] {
  return rows.flatMap((row, item) =>
    row.flatMap((label, r) => (label === null ? [] : [{ item, rater: raters[r]!, label: String(label) }])),
  );
}

describe("Cohen's κ", () => {
  it('matches the textbook 2×2 example (50 items: yes/yes 20, yes/no 5, no/yes 10, no/no 15) → κ = 0.4', () => {
    // p_o = (20 + 15) / 50 = 0.7
    // A says yes 25/50 = 0.5, B says yes 30/50 = 0.6 → p_e = 0.5·0.6 + 0.5·0.4 = 0.5
    // κ = (0.7 − 0.5) / (1 − 0.5) = 0.4
    const rows = [
      ...Array.from({ length: 20 }, () => ['yes', 'yes']),
      ...Array.from({ length: 5 }, () => ['yes', 'no']),
      ...Array.from({ length: 10 }, () => ['no', 'yes']),
      ...Array.from({ length: 15 }, () => ['no', 'no']),
    ];
    const result = cohensKappa(table(rows, ['A', 'B']), 'A', 'B');
    expect(result.n).toBe(50);
    expect(result.observed).toBeCloseTo(0.7, 12);
    expect(result.expected).toBeCloseTo(0.5, 12);
    expect(result.kappa).toBeCloseTo(0.4, 12);
  });

  it('uses only shared items per pair and is undefined when expected agreement is 1', () => {
    // A and C share items 0 and 1 only: both say x then y → p_o = 1, p_e = ½·½ + ½·½ = ½ → κ = 1
    const ratings = table(
      [
        ['x', 'x', 'x'],
        ['y', 'y', 'y'],
        ['x', null, null],
        [null, 'x', 'y'],
      ],
      ['A', 'B', 'C'],
    );
    const pairs = pairwiseCohensKappa(ratings);
    expect(pairs.map((p) => [p.raterA, p.raterB, p.n])).toEqual([
      ['A', 'B', 2],
      ['A', 'C', 2],
      ['B', 'C', 3],
    ]);
    expect(pairs[1]!.kappa).toBeCloseTo(1, 12);
    // B vs C over items 0, 1, 3: agree, agree, disagree → p_o = 2/3; B: x,y,x (x 2/3), C: x,y,y (x 1/3)
    // p_e = 2/3·1/3 + 1/3·2/3 = 4/9 → κ = (2/3 − 4/9) / (5/9) = 2/5
    expect(pairs[2]!.kappa).toBeCloseTo(0.4, 12);
    expect(
      cohensKappa(
        table(
          [
            ['x', 'x'],
            ['x', 'x'],
          ],
          ['A', 'B'],
        ),
        'A',
        'B',
      ).kappa,
    ).toBeNull();
  });
});

describe('percent agreement', () => {
  it('counts agreeing rater pairs over all rater pairs', () => {
    // item 0: x, x, y → 3 pairs, 1 agrees; item 1: x, x → 1 pair, agrees; item 2 has one rating (no pair)
    // → 2 / 4 = 0.5
    const result = percentAgreement(
      table(
        [
          ['x', 'x', 'y'],
          ['x', 'x', null],
          ['z', null, null],
        ],
        ['A', 'B', 'C'],
      ),
    );
    expect(result).toEqual({ agreement: 0.5, pairs: 4, items: 2 });
  });

  it('per item: item 0 agrees on 1 of its 3 pairs, item 1 on its only pair; item 2 has no pair', () => {
    const perItem = itemAgreement(
      table(
        [
          ['x', 'x', 'y'],
          ['x', 'x', null],
          ['z', null, null],
        ],
        ['A', 'B', 'C'],
      ),
    );
    expect(perItem.get(0)!.ratings).toBe(3);
    expect(perItem.get(0)!.agreement).toBeCloseTo(1 / 3, 12);
    expect(perItem.get(1)).toEqual({ ratings: 2, agreement: 1 });
    expect(perItem.has(2)).toBe(false);
  });
});

describe("Fleiss' κ", () => {
  // Fleiss' textbook example as given on Wikipedia: 10 subjects, 14 raters each, 5 categories.
  const counts = [
    [0, 0, 0, 0, 14],
    [0, 2, 6, 4, 2],
    [0, 0, 3, 5, 6],
    [0, 3, 9, 2, 0],
    [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0],
    [3, 2, 6, 3, 0],
    [2, 5, 3, 2, 2],
    [6, 5, 2, 1, 0],
    [0, 2, 2, 3, 7],
  ];

  it('matches the hand computation on the 10 × 5 example', () => {
    // Column totals 20, 28, 39, 21, 32 of 140 → P_e = (20² + 28² + 39² + 21² + 32²) / 140² = 4170 / 19600.
    // P_i = (Σ_j n_ij² − 14) / (14 · 13); Σ_i (Σ_j n_ij² − 14) = 182 + 46 + 56 + 80 + 60 + 84 + 44 + 32 + 52 + 52 = 688
    // → P̄ = 688 / 1820 = 0.3780. κ = (P̄ − P_e) / (1 − P_e) = (0.3780 − 0.2128) / (1 − 0.2128) = 0.2099 (Wikipedia: 0.210).
    const pBar = 688 / 1820;
    const pE = 4170 / 19600;
    expect(fleissKappaFromCounts(counts)).toBeCloseTo((pBar - pE) / (1 - pE), 12);
    expect(fleissKappaFromCounts(counts)).toBeCloseTo(0.2099, 4);
  });

  it('gives the same value from individual ratings', () => {
    const ratings: Rating[] = counts.flatMap((row, item) =>
      row.flatMap((count, category) =>
        Array.from({ length: count }, (_, r) => ({ item, rater: `${category}-${r}`, label: `c${category}` })),
      ),
    );
    expect(fleissKappa(ratings)).toBeCloseTo(fleissKappaFromCounts(counts)!, 12);
  });
});

describe("Krippendorff's α (nominal)", () => {
  it("matches Krippendorff's worked example with missing values (4 observers, 12 units) → α = 0.743", () => {
    // Coincidence matrix over the 11 pairable units (unit 12 has one value): n = 40 pairable values,
    // n_c = 9, 13, 10, 5, 3 for values 1…5; the diagonal holds 7, 10, 8, 4, 3 → Σ_{c≠k} o_ck = 40 − 32 = 8.
    // Σ_{c≠k} n_c·n_k = 40² − (81 + 169 + 100 + 25 + 9) = 1216. α = 1 − 39 · 8 / 1216 = 113/152 = 0.7434
    const ratings = table(
      [
        [1, 1, null, 1],
        [2, 2, 3, 2],
        [3, 3, 3, 3],
        [3, 3, 3, 3],
        [2, 2, 2, 2],
        [1, 2, 3, 4],
        [4, 4, 4, 4],
        [1, 1, 2, 1],
        [2, 2, 2, 2],
        [null, 5, 5, 5],
        [null, null, 1, 1],
        [null, 3, null, null],
      ],
      ['A', 'B', 'C', 'D'],
    );
    const { alpha, pairable } = krippendorffAlphaNominal(ratings);
    expect(pairable).toBeCloseTo(40, 12);
    expect(alpha).toBeCloseTo(113 / 152, 12);
  });

  it('is 1 for perfect agreement and undefined when only one value occurs', () => {
    expect(
      krippendorffAlphaNominal(
        table(
          [
            ['a', 'a'],
            ['b', 'b'],
          ],
          ['A', 'B'],
        ),
      ).alpha,
    ).toBeCloseTo(1, 12);
    expect(
      krippendorffAlphaNominal(
        table(
          [
            ['a', 'a'],
            ['a', 'a'],
          ],
          ['A', 'B'],
        ),
      ).alpha,
    ).toBeNull();
  });
});
