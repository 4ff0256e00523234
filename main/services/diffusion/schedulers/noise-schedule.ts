/**
 * The training noise schedule every scheduler shares: betas, alphas_cumprod, and the VP quantities derived
 * from them. torch computes these in float32 (cumprod accumulating in double), so each value here is rounded
 * to float32 the way torch rounds it; the schedules that depend on exact values (Karras timesteps, sigma
 * lookups, add_noise) then agree with diffusers bit for bit.
 */
import type { SchedulerConfig } from './config';

const f32 = Math.fround;

/** AVX2 holds 8 float32 lanes; torch's vectorised loop fills two such vectors per iteration. */
const LANES = 8;

/**
 * torch.linspace(start, end, steps, dtype=float32) as torch's AVX2 CPU kernel computes it: a float32 step;
 * the first half counted from `start`, the second from `end`; whole vectors of 8 as base + lane·step; a
 * scalar tail; and GCC's fused multiply-adds (each value rounded once). This reproduces diffusers' betas,
 * and so its alphas_cumprod, bit for bit.
 */
function linspaceFloat32(start: number, end: number, steps: number): Float64Array {
  const s = f32(start);
  const e = f32(end);
  const step = steps > 1 ? f32(f32(e - s) / (steps - 1)) : 0;
  const halfway = Math.floor(steps / 2);
  const at = (i: number): number => (i < halfway ? f32(s + step * i) : f32(e - step * (steps - i - 1)));
  const out = new Float64Array(steps);
  let i = 0;
  for (; i + 2 * LANES <= steps; i += 2 * LANES) {
    for (const vectorStart of [i, i + LANES]) {
      const base = at(vectorStart);
      for (let lane = 0; lane < LANES; lane++) out[vectorStart + lane] = f32(base + lane * step);
    }
  }
  for (; i < steps; i++) out[i] = at(i);
  return out;
}

function betasFor(config: SchedulerConfig): Float64Array {
  const n = config.numTrainTimesteps;
  if (config.trainedBetas) return Float64Array.from(config.trainedBetas, f32);
  switch (config.betaSchedule) {
    case 'linear':
      return linspaceFloat32(config.betaStart, config.betaEnd, n);
    case 'scaled_linear':
      return linspaceFloat32(Math.sqrt(config.betaStart), Math.sqrt(config.betaEnd), n).map((b) =>
        f32(b * b),
      );
    case 'squaredcos_cap_v2':
      return cosineBetas(n);
  }
}

/** Glide's cosine schedule (diffusers' betas_for_alpha_bar), capped at 0.999, computed in double. */
function cosineBetas(n: number): Float64Array {
  const alphaBar = (t: number): number => Math.cos(((t + 0.008) / 1.008) * (Math.PI / 2)) ** 2;
  return Float64Array.from({ length: n }, (_, i) =>
    f32(Math.min(1 - alphaBar((i + 1) / n) / alphaBar(i / n), 0.999)),
  );
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
