// Inter-annotator agreement on nominal labels: raw percent, Cohen's κ per pair, Fleiss' κ, Krippendorff's α.

export type Id = string | number;

export interface Rating {
  item: Id;
  rater: Id;
  label: string;
}

export interface PercentAgreement {
  /** Agreeing rater pairs / all rater pairs, over items with at least two ratings; null without any pair. */
  agreement: number | null;
  pairs: number;
  items: number;
}

export interface CohenKappa {
  raterA: Id;
  raterB: Id;
  /** Items both rated. */
  n: number;
  observed: number;
  expected: number;
  /** null when undefined (no shared items, or expected agreement is 1). */
  kappa: number | null;
}

/** Labels per item: item → labels in rating order. */
function byItem(ratings: readonly Rating[]): Map<Id, string[]> {
  const items = new Map<Id, string[]>();
  for (const rating of ratings) items.set(rating.item, [...(items.get(rating.item) ?? []), rating.label]);
  return items;
}

function labelCounts(labels: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const label of labels) counts.set(label, (counts.get(label) ?? 0) + 1);
  return counts;
}

export function percentAgreement(ratings: readonly Rating[]): PercentAgreement {
  let agreeing = 0;
  let pairs = 0;
  let items = 0;
  for (const labels of byItem(ratings).values()) {
    if (labels.length < 2) continue;
    items++;
    pairs += (labels.length * (labels.length - 1)) / 2;
    for (const count of labelCounts(labels).values()) agreeing += (count * (count - 1)) / 2;
  }
  return { agreement: pairs === 0 ? null : agreeing / pairs, pairs, items };
}

/** Agreement of each item with at least two ratings: agreeing rater pairs / rater pairs (curation sorts by it). */
export function itemAgreement(ratings: readonly Rating[]): Map<Id, { ratings: number; agreement: number }> {
  const result = new Map<Id, { ratings: number; agreement: number }>();
  for (const [item, labels] of byItem(ratings)) {
    if (labels.length < 2) continue;
    const pairs = (labels.length * (labels.length - 1)) / 2;
    const agreeing = sum([...labelCounts(labels).values()].map((count) => (count * (count - 1)) / 2));
    result.set(item, { ratings: labels.length, agreement: agreeing / pairs });
  }
  return result;
}

/** Cohen's κ for two raters over the items both rated: (p_o − p_e) / (1 − p_e), p_e from each rater's marginals. */
export function cohensKappa(ratings: readonly Rating[], raterA: Id, raterB: Id): CohenKappa {
  const labelsOf = (rater: Id) =>
    new Map(ratings.filter((r) => r.rater === rater).map((r) => [r.item, r.label]));
  const a = labelsOf(raterA);
  const b = labelsOf(raterB);
  const shared = [...a.keys()].filter((item) => b.has(item));
  const n = shared.length;
  if (n === 0) return { raterA, raterB, n, observed: 0, expected: 0, kappa: null };
  const observed = shared.filter((item) => a.get(item) === b.get(item)).length / n;
  const marginA = labelCounts(shared.map((item) => a.get(item)!));
  const marginB = labelCounts(shared.map((item) => b.get(item)!));
  let expected = 0;
  for (const [label, count] of marginA) expected += (count / n) * ((marginB.get(label) ?? 0) / n);
  const kappa = expected === 1 ? null : (observed - expected) / (1 - expected);
  return { raterA, raterB, n, observed, expected, kappa };
}

/** Cohen's κ for every pair of raters that share at least one item. */
export function pairwiseCohensKappa(ratings: readonly Rating[]): CohenKappa[] {
  const raters = [...new Set(ratings.map((r) => r.rater))];
  const result: CohenKappa[] = [];
  for (let i = 0; i < raters.length; i++) {
    for (let j = i + 1; j < raters.length; j++) {
      const kappa = cohensKappa(ratings, raters[i]!, raters[j]!);
      if (kappa.n > 0) result.push(kappa);
    }
  }
  return result;
}

/**
 * Fleiss' κ from an items × categories count matrix. With the same number of ratings per item this is the
 * textbook statistic; with varying numbers each item's agreement P_i uses its own n_i (items with n_i < 2
 * are left out) and category shares p_j are over all ratings.
 */
export function fleissKappaFromCounts(counts: readonly (readonly number[])[]): number | null {
  const rows = counts.filter((row) => sum(row) >= 2);
  if (rows.length === 0) return null;
  const total = sum(rows.map(sum));
  const categories = rows[0]!.length;
  const shares = Array.from({ length: categories }, (_, j) => sum(rows.map((row) => row[j]!)) / total);
  const expected = sum(shares.map((p) => p * p));
  const observed =
    sum(
      rows.map((row) => {
        const n = sum(row);
        return sum(row.map((c) => c * (c - 1))) / (n * (n - 1));
      }),
    ) / rows.length;
  return expected === 1 ? null : (observed - expected) / (1 - expected);
}

export function fleissKappa(ratings: readonly Rating[]): number | null {
  const labels = [...new Set(ratings.map((r) => r.label))];
  const counts = [...byItem(ratings).values()].map((itemLabels) => {
    const perLabel = labelCounts(itemLabels);
    return labels.map((label) => perLabel.get(label) ?? 0);
  });
  return fleissKappaFromCounts(counts);
}

/**
 * Krippendorff's α for nominal data (any number of raters, missing ratings allowed), via the coincidence
 * matrix: α = 1 − (n − 1) · Σ_{c≠k} o_ck / Σ_{c≠k} n_c · n_k, with o_ck = Σ_u (pairs c–k in unit u) / (m_u − 1)
 * over units with m_u ≥ 2 values, n_c = Σ_k o_ck and n = Σ_c n_c.
 */
export function krippendorffAlphaNominal(ratings: readonly Rating[]): {
  alpha: number | null;
  pairable: number;
} {
  const coincidences = new Map<string, number>();
  const add = (c: string, k: string, value: number) =>
    coincidences.set(`${c}\u0000${k}`, (coincidences.get(`${c}\u0000${k}`) ?? 0) + value);
  for (const labels of byItem(ratings).values()) {
    const m = labels.length;
    if (m < 2) continue;
    const counts = labelCounts(labels);
    for (const [c, nc] of counts) {
      for (const [k, nk] of counts) add(c, k, (c === k ? nc * (nc - 1) : nc * nk) / (m - 1));
    }
  }
  const marginals = new Map<string, number>();
  let disagreeing = 0;
  for (const [key, value] of coincidences) {
    const [c, k] = key.split('\u0000') as [string, string];
    marginals.set(c, (marginals.get(c) ?? 0) + value);
    if (c !== k) disagreeing += value;
  }
  const n = sum([...marginals.values()]);
  const nc = [...marginals.values()];
  const expectedPairs = sum(nc) ** 2 - sum(nc.map((v) => v * v));
  if (n <= 1 || expectedPairs === 0) return { alpha: null, pairable: n };
  return { alpha: 1 - ((n - 1) * disagreeing) / expectedPairs, pairable: n };
}

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}
