// Sums gradients over micro-batches so that one optimizer step sees the gradient of the whole batch.
import type { TensorSet } from './params';

export class GradientAccumulator {
  private sums = new Map<string, Float32Array>();
  private micro = 0;

  get count(): number {
    return this.micro;
  }

  /** Adds one micro-batch's gradients (every micro-batch must provide the same names and sizes). */
  add(grads: Readonly<TensorSet>): void {
    const names = Object.keys(grads);
    if (this.micro > 0 && (names.length !== this.sums.size || names.some((n) => !this.sums.has(n)))) {
      throw new Error(
        `micro-batch gradients [${names.join(', ')}] differ from the first [${[...this.sums.keys()].join(', ')}]`,
      );
    }
    for (const [name, g] of Object.entries(grads)) {
      let sum = this.sums.get(name);
      if (!sum) this.sums.set(name, (sum = new Float32Array(g.length)));
      if (sum.length !== g.length)
        throw new Error(`gradient "${name}" has ${g.length} elements, earlier ${sum.length}`);
      for (let i = 0; i < g.length; i++) sum[i] = sum[i]! + g[i]!;
    }
    this.micro += 1;
  }

  /** The accumulated gradients: the sum, or the mean over micro-batches ('average', the usual choice for mean losses). */
  result(mode: 'sum' | 'average' = 'average'): TensorSet {
    if (this.micro === 0) throw new Error('GradientAccumulator: no micro-batch was added');
    const out: TensorSet = {};
    for (const [name, sum] of this.sums) {
      out[name] = mode === 'sum' ? sum.slice() : sum.map((v) => v / this.micro);
    }
    return out;
  }

  reset(): void {
    this.sums.clear();
    this.micro = 0;
  }
}
