/** The one tensor operation the multistep samplers need: a weighted sum of latents, elementwise. */

/** Σ coefficient·tensor, elementwise (the shapes must agree). */
export function linearCombination(terms: ReadonlyArray<readonly [number, Float32Array]>): Float32Array {
  const length = terms[0]![1].length;
  const out = new Float32Array(length);
  for (const [coefficient, tensor] of terms) {
    if (tensor.length !== length) throw new Error(`tensor sizes differ: ${tensor.length} vs ${length}`);
    for (let i = 0; i < length; i++) out[i] = out[i]! + coefficient * tensor[i]!;
  }
  return out;
}
