// Score arithmetic on features: L2 normalisation (zero norm → 1, as the references), cosine, softmax.

export function normalized(features: Float32Array): Float64Array {
  let sum = 0;
  for (const v of features) sum += v * v;
  const norm = Math.sqrt(sum) || 1;
  return Float64Array.from(features, (v) => v / norm);
}

export function dot(a: Float64Array, b: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
}

export function softmax(values: readonly number[]): number[] {
  const max = Math.max(...values);
  const exps = values.map((v) => Math.exp(v - max));
  const total = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / total);
}
