/**
 * DPM-Solver++ (2M), after diffusers/src/diffusers/schedulers/scheduling_dpmsolver_multistep.py
 * (DPMSolverMultistepScheduler with solver_order 2, algorithm_type "dpmsolver++", solver_type "midpoint",
 * lower_order_final). With `use_karras_sigmas` it is "DPM++ 2M Karras": only the timesteps change.
 */
import { linearCombination } from './linear-combination';
import { MultistepScheduler } from './multistep-base';

/** Below this many steps the last steps drop to lower order for stability (diffusers' rule). */
const LOWER_ORDER_FINAL_BELOW = 15;

export class DpmSolverMultistepScheduler extends MultistepScheduler {
  /** Data predictions x0 and their timesteps, newest last. */
  private history: Array<{ x0: Float32Array; timestep: number }> = [];

  protected resetHistory(): void {
    this.history = [];
  }

  step(modelOutput: Float32Array, timestep: number, sample: Float32Array): Float32Array {
    const index = this.stepIndexOf(timestep);
    const prev = this.nextTimestep(index);
    const count = this.timesteps.length;
    const lowerOrderFinal =
      index === count - 1 && this.config.lowerOrderFinal && count < LOWER_ORDER_FINAL_BELOW;
    const x0 = this.predictX0(modelOutput, timestep, sample);
    const previous = this.history[this.history.length - 1];
    this.history = [...this.history.slice(-1), { x0, timestep }];
    if (!previous || lowerOrderFinal) return this.firstOrder(x0, timestep, prev, sample);
    return this.secondOrder(
      x0,
      previous.x0,
      timestep,
      this.timesteps[index - 1] ?? previous.timestep,
      prev,
      sample,
    );
  }

  /** DPM-Solver++ 1 (= DDIM in data prediction). */
  private firstOrder(x0: Float32Array, s: number, t: number, sample: Float32Array): Float32Array {
    const { alpha, sigma, lambda } = this.vp;
    const h = lambda[t]! - lambda[s]!;
    return linearCombination([
      [sigma[t]! / sigma[s]!, sample],
      [-alpha[t]! * Math.expm1(-h), x0],
    ]);
  }

  /** DPM-Solver++ 2M, midpoint form: D0 = m0, D1 = (m0 − m1)/r0. */
  private secondOrder(
    m0: Float32Array,
    m1: Float32Array,
    s0: number,
    s1: number,
    t: number,
    sample: Float32Array,
  ): Float32Array {
    const { alpha, sigma, lambda } = this.vp;
    const h = lambda[t]! - lambda[s0]!;
    const r0 = (lambda[s0]! - lambda[s1]!) / h;
    // diffusers writes exp(−h) − 1; expm1 is the same quantity without cancellation.
    const phi = alpha[t]! * Math.expm1(-h);
    const d1Coeff = 1 / r0;
    return linearCombination([
      [sigma[t]! / sigma[s0]!, sample],
      [-phi - 0.5 * phi * d1Coeff, m0],
      [0.5 * phi * d1Coeff, m1],
    ]);
  }
}
