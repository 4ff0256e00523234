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

const f32 = Math.fround;

/** numpy's round(): halves go to the even neighbour. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** np.linspace(start, stop, num): i·step + start, with the end point set exactly. */
export function linspace(start: number, stop: number, num: number): number[] {
  if (num === 1) return [start];
  const step = (stop - start) / (num - 1);
  return Array.from({ length: num }, (_, i) => (i === num - 1 ? stop : i * step + start));
}

/** Σ coefficient·tensor, elementwise (the shapes must agree). */
export function combine(terms: ReadonlyArray<readonly [number, Float32Array]>): Float32Array {
  const length = terms[0]![1].length;
  const out = new Float32Array(length);
  for (const [coefficient, tensor] of terms) {
    if (tensor.length !== length) throw new Error(`tensor sizes differ: ${tensor.length} vs ${length}`);
    for (let i = 0; i < length; i++) out[i] = out[i]! + coefficient * tensor[i]!;
  }
  return out;
}

/** Index of a timestep in the schedule, as diffusers' `(timesteps == t).nonzero().item()`. */
export function indexOfTimestep(timesteps: readonly number[], timestep: number): number {
  const index = timesteps.indexOf(timestep);
  if (index < 0) throw new Error(`timestep ${timestep} is not in the current schedule`);
  return index;
}

export function assertInteger(timestep: number): number {
  if (!Number.isInteger(timestep)) throw new Error(`this scheduler takes integer timesteps, got ${timestep}`);
  return timestep;
}

export function assertStepCount(numInferenceSteps: number, numTrainTimesteps: number): void {
  if (
    !Number.isInteger(numInferenceSteps) ||
    numInferenceSteps < 1 ||
    numInferenceSteps > numTrainTimesteps
  ) {
    throw new Error(`steps must be an integer in 1..${numTrainTimesteps}, got ${numInferenceSteps}`);
  }
}

/** Splits a batch into per-item ranges, one per timestep. */
function batchItemSize(total: number, batch: number): number {
  if (batch < 1 || total % batch !== 0)
    throw new Error(`${total} values cannot be split into ${batch} batch items`);
  return total / batch;
}

/**
 * DDPM forward process √ᾱ_t·x + √(1 − ᾱ_t)·ε, in float32 like diffusers' add_noise (VP samplers and training).
 */
export function addNoiseVp(
  alphasCumprod: Float64Array,
  original: Float32Array,
  noise: Float32Array,
  timesteps: readonly number[],
): Float32Array {
  if (noise.length !== original.length) throw new Error('noise and sample sizes differ');
  const itemSize = batchItemSize(original.length, timesteps.length);
  const out = new Float32Array(original.length);
  timesteps.forEach((t, b) => {
    const alphaProd = alphasCumprod[assertInteger(t)];
    if (alphaProd === undefined) throw new Error(`timestep ${t} is outside the training schedule`);
    const sqrtAlpha = f32(Math.sqrt(alphaProd));
    const sqrtOneMinus = f32(Math.sqrt(f32(1 - alphaProd)));
    for (let i = b * itemSize; i < (b + 1) * itemSize; i++) {
      out[i] = f32(sqrtAlpha * original[i]!) + f32(sqrtOneMinus * noise[i]!);
    }
  });
  return out;
}

/** Karras-style forward process x + σ·ε, σ looked up from the current schedule (Euler, LMS). */
export function addNoiseSigma(
  sigmas: Float64Array,
  schedule: readonly number[],
  original: Float32Array,
  noise: Float32Array,
  timesteps: readonly number[],
): Float32Array {
  if (noise.length !== original.length) throw new Error('noise and sample sizes differ');
  const itemSize = batchItemSize(original.length, timesteps.length);
  const out = new Float32Array(original.length);
  timesteps.forEach((t, b) => {
    const sigma = sigmas[indexOfTimestep(schedule, t)]!;
    for (let i = b * itemSize; i < (b + 1) * itemSize; i++) out[i] = original[i]! + f32(noise[i]! * sigma);
  });
  return out;
}

/** The velocity target v = √ᾱ_t·ε − √(1 − ᾱ_t)·x0 for training v-prediction models (diffusers get_velocity). */
export function velocityVp(
  alphasCumprod: Float64Array,
  original: Float32Array,
  noise: Float32Array,
  timesteps: readonly number[],
): Float32Array {
  if (noise.length !== original.length) throw new Error('noise and sample sizes differ');
  const itemSize = batchItemSize(original.length, timesteps.length);
  const out = new Float32Array(original.length);
  timesteps.forEach((t, b) => {
    const alphaProd = alphasCumprod[assertInteger(t)];
    if (alphaProd === undefined) throw new Error(`timestep ${t} is outside the training schedule`);
    const sqrtAlpha = Math.sqrt(alphaProd);
    const sqrtOneMinus = Math.sqrt(1 - alphaProd);
    for (let i = b * itemSize; i < (b + 1) * itemSize; i++)
      out[i] = sqrtAlpha * noise[i]! - sqrtOneMinus * original[i]!;
  });
  return out;
}
