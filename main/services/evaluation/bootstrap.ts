/** Seeded uniform [0, 1) generator (mulberry32): the same seed gives the same interval on every machine. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface BootstrapOptions {
  /** Resamples (default 1000; 0 skips the interval). */
  samples?: number;
  seed?: number;
  /** Central coverage (default 0.95). */
  level?: number;
}

/** Percentile bootstrap interval of the mean of `values` (resampling values with replacement). */
export function bootstrapMeanInterval(
  values: readonly number[],
  options: BootstrapOptions = {},
): [number, number] | null {
  const samples = options.samples ?? 1000;
  // No data, or no resamples asked for (callers that only want the point estimate).
  if (values.length === 0 || samples === 0) return null;
  const level = options.level ?? 0.95;
  const random = mulberry32(options.seed ?? 0);
  const means = new Float64Array(samples);
  for (let s = 0; s < samples; s++) {
    let total = 0;
    for (let i = 0; i < values.length; i++) total += values[Math.floor(random() * values.length)]!;
    means[s] = total / values.length;
  }
  means.sort();
  const tail = (1 - level) / 2;
  return [quantile(means, tail), quantile(means, 1 - tail)];
}

/** Linear-interpolated quantile of sorted values (numpy's default "linear" method). */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  const position = (sorted.length - 1) * q;
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  return sorted[lower]! + (sorted[upper]! - sorted[lower]!) * (position - lower);
}
