/**
 * What every sampler offers the pipeline and the trainer, in diffusers' terms. Latents are flat float32
 * arrays (NCHW order); the schedulers act elementwise, and noise is drawn with the latent's element count,
 * which is all torch.randn's stream depends on for a contiguous tensor.
 */
import type { Generators } from '../rng/randn-tensor';

export interface Scheduler {
  /** The timesteps of the current schedule, in sampling order (set by setTimesteps). */
  readonly timesteps: readonly number[];
  /** Multiply unit-variance initial noise by this before the first step. */
  readonly initNoiseSigma: number;
  /** Builds the schedule for this many inference steps and clears any multistep history. */
  setTimesteps(numInferenceSteps: number): void;
  /** Scales the latent fed to the model at this timestep (identity for VP samplers). */
  scaleModelInput(sample: Float32Array, timestep: number): Float32Array;
  /**
   * One denoising step from the model's output; stochastic samplers draw from `generator` (one, or one per
   * batch item as diffusers' generator lists).
   */
  step(
    modelOutput: Float32Array,
    timestep: number,
    sample: Float32Array,
    generator?: Generators,
  ): Float32Array;
  /** Forward diffusion: noises each batch item (of timesteps.length) to its own timestep. */
  addNoise(original: Float32Array, noise: Float32Array, timesteps: readonly number[]): Float32Array;
}
