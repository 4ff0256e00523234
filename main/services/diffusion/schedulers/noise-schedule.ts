/**
 * The training noise schedule every scheduler shares: betas, alphas_cumprod, and the VP quantities derived
 * from them. torch computes these in float32 (cumprod accumulating in double), so each value here is rounded
 * to float32 the way torch rounds it; the schedules that depend on exact values (Karras timesteps, sigma
 * lookups) then agree with diffusers.
 */
import type { SchedulerConfig } from './config';

const f32 = Math.fround;

/** torch.linspace(start, end, steps, dtype=float32): float32 step, both halves anchored at their end. */
export function linspaceFloat32(start: number, end: number, steps: number): Float64Array {
  const out = new Float64Array(steps);
  const s = f32(start);
  const e = f32(end);
  const step = steps > 1 ? f32(f32(e - s) / (steps - 1)) : 0;
  const halfway = Math.floor(steps / 2);
  for (let i = 0; i < steps; i++) {
    out[i] = i < halfway ? f32(s + f32(step * i)) : f32(e - f32(step * (steps - i - 1)));
  }
  return out;
}

export function betasFor(config: SchedulerConfig): Float64Array {
  const n = config.numTrainTimesteps;
  if (config.trainedBetas) return Float64Array.from(config.trainedBetas, f32);
  switch (config.betaSchedule) {
    case 'linear':
      return linspaceFloat32(config.betaStart, config.betaEnd, n);
    case 'scaled_linear':
      return linspaceFloat32(Math.sqrt(config.betaStart), Math.sqrt(config.betaEnd), n).map((b) => f32(b * b));
    case 'squaredcos_cap_v2':
      return cosineBetas(n);
  }
}

/** Glide's cosine schedule (diffusers' betas_for_alpha_bar), capped at 0.999, computed in double. */
function cosineBetas(n: number): Float64Array {
  const alphaBar = (t: number): number => Math.cos(((t + 0.008) / 1.008) * (Math.PI / 2)) ** 2;
  return Float64Array.from({ length: n }, (_, i) => f32(Math.min(1 - alphaBar((i + 1) / n) / alphaBar(i / n), 0.999)));
}

export function alphasCumprodFor(config: SchedulerConfig): Float64Array {
  const betas = betasFor(config);
  const out = new Float64Array(betas.length);
  let product = 1;
  for (let i = 0; i < betas.length; i++) {
    product *= f32(1 - betas[i]!);
    out[i] = f32(product);
  }
  return out;
}

/** σ_t = √((1 − ᾱ_t) / ᾱ_t) per training timestep (float32, as diffusers' Karras-family schedulers). */
export function trainingSigmas(alphasCumprod: Float64Array): Float64Array {
  return alphasCumprod.map((a) => f32(Math.sqrt(f32(f32(1 - a) / a))));
}

/** DPM-Solver / UniPC's VP view: α_t = √ᾱ, σ_t = √(1 − ᾱ), λ_t = log α_t − log σ_t (float32 each). */
export interface VpSchedule {
  alpha: Float64Array;
  sigma: Float64Array;
  lambda: Float64Array;
}

export function vpSchedule(alphasCumprod: Float64Array): VpSchedule {
  const alpha = alphasCumprod.map((a) => f32(Math.sqrt(a)));
  const sigma = alphasCumprod.map((a) => f32(Math.sqrt(f32(1 - a))));
  const lambda = alpha.map((a, i) => f32(f32(Math.log(a)) - f32(Math.log(sigma[i]!))));
  return { alpha, sigma, lambda };
}
