/**
 * Forward diffusion: noising a clean latent to a timestep (diffusers' add_noise) and the v-prediction
 * training target (get_velocity), per batch item, each at its own timestep.
 */
import { assertInteger, indexOfTimestep } from './timestep-checks';

const f32 = Math.fround;

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
