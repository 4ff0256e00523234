/**
 * Shared part of the samplers that work in sigma space (diffusers' Euler, Euler ancestral, LMS): the
 * schedule σ(t) interpolated from the training sigmas at (fractional) timesteps, a trailing σ = 0, the
 * input scaling 1/√(σ² + 1), and initial noise scaled by the largest training sigma.
 */
import type { Generators } from '../rng/randn-tensor';
import type { SchedulerConfig } from './config';
import { addNoiseSigma } from './forward-process';
import { alphasCumprodFor, trainingSigmas } from './noise-schedule';
import type { Scheduler } from './scheduler';
import { interpolateAtTimesteps } from './sigmas';
import { assertStepCount, indexOfTimestep } from './timestep-checks';
import { sigmaFamilyTimesteps } from './timestep-spacing';

export abstract class SigmaScheduler implements Scheduler {
  readonly initNoiseSigma: number;
  timesteps: number[] = [];
  /** σ per schedule position, plus a final 0 (float32 values). */
  protected sigmas = new Float64Array(0);
  protected readonly trainSigmas: Float64Array;

  constructor(protected readonly config: SchedulerConfig) {
    if (config.useKarrasSigmas) throw new Error('Karras sigmas are offered for DPM++ 2M only');
    this.trainSigmas = trainingSigmas(alphasCumprodFor(config));
    // diffusers 0.19 sets this once from the training sigmas (not √(σ_max² + 1)).
    this.initNoiseSigma = Math.max(...this.trainSigmas);
  }

  setTimesteps(numInferenceSteps: number): void {
    const n = this.config.numTrainTimesteps;
    assertStepCount(numInferenceSteps, n);
    this.timesteps = sigmaFamilyTimesteps(
      this.config.timestepSpacing ?? 'linspace',
      n,
      numInferenceSteps,
      this.config.stepsOffset,
    );
    const sigmas = interpolateAtTimesteps(this.trainSigmas, this.timesteps);
    this.sigmas = Float64Array.from([...sigmas, 0], Math.fround);
    this.resetHistory();
  }

  /** Clears multistep state when a new schedule starts. */
  protected resetHistory(): void {}

  scaleModelInput(sample: Float32Array, timestep: number): Float32Array {
    const sigma = this.sigmas[this.indexOf(timestep)]!;
    const factor = 1 / Math.sqrt(sigma * sigma + 1);
    return sample.map((v) => v * factor);
  }

  abstract step(
    modelOutput: Float32Array,
    timestep: number,
    sample: Float32Array,
    generator?: Generators,
  ): Float32Array;

  addNoise(original: Float32Array, noise: Float32Array, timesteps: readonly number[]): Float32Array {
    return addNoiseSigma(this.sigmas, this.timesteps, original, noise, timesteps);
  }

  /**
   * dx/dσ = (x − x0)/σ: the model output itself for epsilon models; for velocity models
   * x0 = −σ/√(σ² + 1)·v + x/(σ² + 1).
   */
  protected derivative(modelOutput: Float32Array, sample: Float32Array, sigma: number): Float32Array {
    if (this.config.predictionType === 'epsilon') return modelOutput;
    const out = new Float32Array(sample.length);
    const vCoeff = -sigma / Math.sqrt(sigma * sigma + 1);
    const xCoeff = 1 / (sigma * sigma + 1);
    for (let i = 0; i < sample.length; i++) {
      const x0 = vCoeff * modelOutput[i]! + xCoeff * sample[i]!;
      out[i] = (sample[i]! - x0) / sigma;
    }
    return out;
  }

  protected indexOf(timestep: number): number {
    if (this.timesteps.length === 0) throw new Error('call setTimesteps before sampling');
    return indexOfTimestep(this.timesteps, timestep);
  }
}
