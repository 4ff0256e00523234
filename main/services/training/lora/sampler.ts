// What each micro-batch trains on, as a pure function of (seed, sample index): the data order (a seeded
// shuffle per epoch), the latent draw from the VAE distribution, the noise and the timestep all come from torch-
// exact generators seeded from the run seed and the index. A resumed run therefore needs only the step count
// as its RNG/data cursor, and it continues the same curve.
import { TorchGenerator } from '../../diffusion/rng';
import { addNoiseVp, velocityVp, type PredictionType } from '../../diffusion/schedulers';
import type { LatentDistribution } from './encode';
import type { MicroBatch } from './step';

export interface TrainingSample {
  image: string;
  caption: string;
}

export interface SamplerData {
  latents: ReadonlyMap<string, LatentDistribution>;
  captions: ReadonlyMap<string, Float32Array>;
  sequence: number;
  alphasCumprod: Float64Array;
  scalingFactor: number;
  predictionType: PredictionType;
}

const f32 = Math.fround;

/** A 32-bit generator seed for (run seed, stream, index): distinct streams never share draws. */
export function derivedSeed(seed: number, stream: number, index: number): number {
  const mixed =
    BigInt(seed) * 0x9e3779b1n + BigInt(stream) * 0x85ebca77n + BigInt(index) * 0xc2b2ae3dn + 0x165667b1n;
  return Number(BigInt.asUintN(32, mixed ^ (mixed >> 29n)));
}

/** Element `index` of the endless sequence of seeded per-epoch permutations of 0..count−1. */
export function shuffledIndex(seed: number, stream: number, count: number, index: number): number {
  const epoch = Math.floor(index / count);
  const generator = new TorchGenerator(derivedSeed(seed, stream, -1 - epoch));
  const u = generator.rand([count]);
  const order = Array.from({ length: count }, (_, i) => i);
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(u[i]! * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order[index % count]!;
}

/** Sample `k` is a regularisation sample when the running count floor(k·ratio) steps up at k. */
export function isRegularization(k: number, ratio: number): boolean {
  return ratio > 0 && Math.floor((k + 1) * ratio) > Math.floor(k * ratio);
}

function drawLatent(d: LatentDistribution, eps: Float32Array, scaling: number): Float32Array {
  return d.mean.map((m, i) => f32(f32(m + f32(d.std[i]! * eps[i]!)) * scaling));
}

interface Noised {
  noisy: Float32Array;
  target: Float32Array;
}

function noised(data: SamplerData, latent: Float32Array, noise: Float32Array, t: number): Noised {
  const noisy = addNoiseVp(data.alphasCumprod, latent, noise, [t]);
  const target =
    data.predictionType === 'v_prediction' ? velocityVp(data.alphasCumprod, latent, noise, [t]) : noise;
  return { noisy, target };
}

function timestepFrom(generator: TorchGenerator, count: number): number {
  return Math.min(count - 1, Math.floor(generator.rand([1])[0]! * count));
}

function contextOf(data: SamplerData, caption: string): Float32Array {
  const states = data.captions.get(caption);
  if (!states) throw new Error(`caption was not encoded: ${JSON.stringify(caption)}`);
  return states;
}

function latentOf(data: SamplerData, image: string): LatentDistribution {
  const d = data.latents.get(image);
  if (!d) throw new Error(`image was not encoded: ${image}`);
  return d;
}

/** epsilon-MSE micro-batch of one image under its caption. */
export function mseMicroBatch(
  data: SamplerData,
  sample: TrainingSample,
  seed: number,
  k: number,
): MicroBatch {
  const generator = new TorchGenerator(derivedSeed(seed, 1, k));
  const dist = latentOf(data, sample.image);
  const latent = drawLatent(dist, generator.randn([dist.mean.length]), data.scalingFactor);
  const noise = generator.randn([latent.length]);
  const t = timestepFrom(generator, data.alphasCumprod.length);
  return {
    ...noised(data, latent, noise, t),
    timesteps: [t],
    context: contextOf(data, sample.caption),
    sequence: data.sequence,
  };
}

/**
 * Diffusion-DPO micro-batch of one pair: chosen and rejected share the noise and the timestep; the batch is
 * [w, l] for the trained model then [w, l] again with the LoRA branch off (the reference).
 */
export function dpoMicroBatch(
  data: SamplerData,
  chosen: TrainingSample,
  rejected: TrainingSample,
  seed: number,
  k: number,
): MicroBatch {
  const generator = new TorchGenerator(derivedSeed(seed, 2, k));
  const w = latentOf(data, chosen.image);
  const l = latentOf(data, rejected.image);
  const latentW = drawLatent(w, generator.randn([w.mean.length]), data.scalingFactor);
  const latentL = drawLatent(l, generator.randn([l.mean.length]), data.scalingFactor);
  const noise = generator.randn([latentW.length]);
  const t = timestepFrom(generator, data.alphasCumprod.length);
  const a = noised(data, latentW, noise, t);
  const b = noised(data, latentL, noise, t);
  const stack = (parts: Float32Array[]) => {
    const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
    let offset = 0;
    for (const p of parts) {
      out.set(p, offset);
      offset += p.length;
    }
    return out;
  };
  const ctxW = contextOf(data, chosen.caption);
  const ctxL = contextOf(data, rejected.caption);
  return {
    noisy: stack([a.noisy, b.noisy, a.noisy, b.noisy]),
    target: stack([a.target, b.target, a.target, b.target]),
    timesteps: [t, t, t, t],
    context: stack([ctxW, ctxL, ctxW, ctxL]),
    sequence: data.sequence,
    sampleScale: Float32Array.from([1, 1, 0, 0]),
  };
}
