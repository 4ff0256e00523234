/**
 * LMS, after diffusers/src/diffusers/schedulers/scheduling_lms_discrete.py (LMSDiscreteScheduler): linear
 * multistep in sigma space of order up to 4; the coefficients integrate the Lagrange basis over each sigma
 * interval (diffusers uses scipy's quad; the integrands are polynomials, so Gauss–Legendre is exact to
 * rounding).
 */
import { integrate } from './gauss-legendre';
import { linearCombination } from './linear-combination';
import { SigmaScheduler } from './sigma-scheduler';

const MAX_ORDER = 4;

export class LmsScheduler extends SigmaScheduler {
  /** dx/dσ of the last steps, newest last. */
  private derivatives: Float32Array[] = [];

  protected override resetHistory(): void {
    this.derivatives = [];
  }

  step(modelOutput: Float32Array, timestep: number, sample: Float32Array): Float32Array {
    const index = this.indexOf(timestep);
    const derivative = this.derivative(modelOutput, sample, this.sigmas[index]!);
    this.derivatives = [...this.derivatives.slice(-(MAX_ORDER - 1)), derivative];
    const order = Math.min(index + 1, MAX_ORDER);
    const terms: Array<readonly [number, Float32Array]> = [[1, sample]];
    for (let k = 0; k < order; k++) {
      terms.push([this.coefficient(order, index, k), this.derivatives[this.derivatives.length - 1 - k]!]);
    }
    return linearCombination(terms);
  }

  /** ∫_{σ_i}^{σ_{i+1}} of the Lagrange basis polynomial for node σ_{i−k} over nodes σ_i … σ_{i−order+1}. */
  private coefficient(order: number, index: number, k: number): number {
    const s = this.sigmas;
    const basis = (tau: number): number => {
      let product = 1;
      for (let j = 0; j < order; j++) {
        if (j !== k) product *= (tau - s[index - j]!) / (s[index - k]! - s[index - j]!);
      }
      return product;
    };
    return integrate(basis, s[index]!, s[index + 1]!);
  }
}
