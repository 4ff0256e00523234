/**
 * Shared part of DPM-Solver++ and UniPC (diffusers 0.19): the VP schedule α_t, σ_t, λ_t indexed by integer
 * timestep, "linspace" timesteps over n + 1 points, optional Karras timesteps, and the epsilon → x0
 * conversion both solvers integrate.
 */
import type { SchedulerConfig } from './config';
import { addNoiseVp } from './forward-process';
import { alphasCumprodFor, trainingSigmas, vpSchedule, type VpSchedule } from './noise-schedule';
import { roundHalfEven } from '../../../common/round';
import type { Scheduler } from './scheduler';
import { karrasSigmas, logSigmas, sigmaToTimestep } from './sigmas';
import { assertStepCount } from './timestep-checks';
import { multistepTimesteps, uniqueInOrder } from './timestep-spacing';

export abstract class MultistepScheduler implements Scheduler {
  readonly initNoiseSigma = 1;
  timesteps: number[] = [];
  protected readonly alphasCumprod: Float64Array;
  protected readonly vp: VpSchedule;

  constructor(protected readonly config: SchedulerConfig) {
    this.alphasCumprod = alphasCumprodFor(config);
    this.vp = vpSchedule(this.alphasCumprod);
  }

  setTimesteps(numInferenceSteps: number): void {
    const n = this.config.numTrainTimesteps;
    assertStepCount(numInferenceSteps, n);
    this.timesteps = this.config.useKarrasSigmas
      ? this.karrasTimesteps(numInferenceSteps)
      : multistepTimesteps(
          this.config.timestepSpacing ?? 'linspace',
          n,
          numInferenceSteps,
          this.config.stepsOffset,
        );
    this.resetHistory();
  }

  /**
   * Karras sigmas between the smallest and largest training sigma, mapped back to integer timesteps in
   * log-sigma space. diffusers 0.19 builds them in ascending order (its first training sigma is the
   * smallest) and flips the timesteps afterwards; the step maths still use the VP schedule at those
   * timesteps.
   */
  private karrasTimesteps(numInferenceSteps: number): number[] {
    const sigmas = trainingSigmas(this.alphasCumprod);
    const logs = logSigmas(sigmas);
    const ascending = karrasSigmas(sigmas[0]!, sigmas[sigmas.length - 1]!, numInferenceSteps);
    const timesteps = ascending.map((sigma) => roundHalfEven(sigmaToTimestep(sigma, logs))).reverse();
    return uniqueInOrder(timesteps);
  }

  protected abstract resetHistory(): void;

  scaleModelInput(sample: Float32Array): Float32Array {
    return sample;
  }

  abstract step(modelOutput: Float32Array, timestep: number, sample: Float32Array): Float32Array;

  addNoise(original: Float32Array, noise: Float32Array, timesteps: readonly number[]): Float32Array {
    return addNoiseVp(this.alphasCumprod, original, noise, timesteps);
  }

  /** diffusers' `(timesteps == t).nonzero()`, falling back to the last index when t is not in the schedule. */
  protected stepIndexOf(timestep: number): number {
    if (this.timesteps.length === 0) throw new Error('call setTimesteps before step');
    const index = this.timesteps.indexOf(timestep);
    return index < 0 ? this.timesteps.length - 1 : index;
  }

  protected nextTimestep(index: number): number {
    return index === this.timesteps.length - 1 ? 0 : this.timesteps[index + 1]!;
  }

  /** Data prediction x0 = (x − σ_t·ε) / α_t, or α_t·x − σ_t·v for velocity models. */
  protected predictX0(modelOutput: Float32Array, timestep: number, sample: Float32Array): Float32Array {
    const alpha = this.vp.alpha[timestep]!;
    const sigma = this.vp.sigma[timestep]!;
    const out = new Float32Array(sample.length);
    if (this.config.predictionType === 'v_prediction') {
      for (let i = 0; i < sample.length; i++) out[i] = alpha * sample[i]! - sigma * modelOutput[i]!;
    } else {
      for (let i = 0; i < sample.length; i++) out[i] = (sample[i]! - sigma * modelOutput[i]!) / alpha;
    }
    return out;
  }
}
