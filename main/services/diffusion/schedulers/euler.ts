/**
 * Euler, after diffusers/src/diffusers/schedulers/scheduling_euler_discrete.py (EulerDiscreteScheduler,
 * Karras et al. algorithm 2 with s_churn = 0): one explicit Euler step of the probability-flow ODE in sigma
 * space.
 */
import { randnTensor, type Generators } from '../rng/randn-tensor';
import { SigmaScheduler } from './sigma-scheduler';

export class EulerScheduler extends SigmaScheduler {
  step(
    modelOutput: Float32Array,
    timestep: number,
    sample: Float32Array,
    generator?: Generators,
  ): Float32Array {
    const index = this.indexOf(timestep);
    const sigma = this.sigmas[index]!;
    const dt = this.sigmas[index + 1]! - sigma;
    // diffusers draws (and, with churn 0, discards) a noise tensor each step; drawing it keeps a shared
    // generator's stream in step with diffusers for whatever draws come after.
    if (generator) randnTensor(sample.length, generator);
    const derivative = this.derivative(modelOutput, sample, sigma);
    const out = new Float32Array(sample.length);
    for (let i = 0; i < sample.length; i++) out[i] = sample[i]! + derivative[i]! * dt;
    return out;
  }
}
