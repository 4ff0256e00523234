/**
 * Euler ancestral, after diffusers/src/diffusers/schedulers/scheduling_euler_ancestral_discrete.py
 * (EulerAncestralDiscreteScheduler): an Euler step down to σ_down, then fresh noise of size σ_up from the
 * generator, so σ_down² + σ_up² = σ_next².
 */
import { randnTensor, type Generators } from '../rng/randn-tensor';
import { SigmaScheduler } from './sigma-scheduler';

export class EulerAncestralScheduler extends SigmaScheduler {
  step(
    modelOutput: Float32Array,
    timestep: number,
    sample: Float32Array,
    generator?: Generators,
  ): Float32Array {
    if (!generator) throw new Error('Euler ancestral needs a generator for its per-step noise');
    const index = this.indexOf(timestep);
    const sigmaFrom = this.sigmas[index]!;
    const sigmaTo = this.sigmas[index + 1]!;
    const sigmaUp = Math.sqrt((sigmaTo ** 2 * (sigmaFrom ** 2 - sigmaTo ** 2)) / sigmaFrom ** 2);
    const sigmaDown = Math.sqrt(sigmaTo ** 2 - sigmaUp ** 2);
    const dt = sigmaDown - sigmaFrom;
    const derivative = this.derivative(modelOutput, sample, sigmaFrom);
    const noise = randnTensor(sample.length, generator);
    const out = new Float32Array(sample.length);
    for (let i = 0; i < sample.length; i++) out[i] = sample[i]! + derivative[i]! * dt + noise[i]! * sigmaUp;
    return out;
  }
}
