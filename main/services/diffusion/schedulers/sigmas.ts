/**
 * Sigma-space helpers of the Karras-family schedulers (diffusers 0.19): interpolating the training sigmas at
 * fractional timesteps, the Karras et al. (2022) ρ = 7 schedule, and mapping a sigma back to a (fractional)
 * timestep by linear interpolation in log-sigma space.
 */
import { linspace } from './linspace';

const f32 = Math.fround;
const KARRAS_RHO = 7;

/** np.interp(x, arange(len(values)), values) for x inside [0, len − 1]. */
export function interpolateAtTimesteps(values: Float64Array, timesteps: readonly number[]): number[] {
  const last = values.length - 1;
  return timesteps.map((t) => {
    if (t <= 0) return values[0]!;
    if (t >= last) return values[last]!;
    const j = Math.floor(t);
    const slope = values[j + 1]! - values[j]!;
    return slope * (t - j) + values[j]!;
  });
}

/**
 * Karras sigmas running from `first` to `last` (ρ-th-root space linear ramp). diffusers passes its input
 * schedule's first and last sigma, so the direction follows the input's order.
 */
export function karrasSigmas(first: number, last: number, steps: number): number[] {
  const firstInvRho = first ** (1 / KARRAS_RHO);
  const lastInvRho = last ** (1 / KARRAS_RHO);
  return linspace(0, 1, steps).map((ramp) => (firstInvRho + ramp * (lastInvRho - firstInvRho)) ** KARRAS_RHO);
}

/** log of the float32 training sigmas, kept in float32 like numpy's log of a float32 array. */
export function logSigmas(sigmas: Float64Array): Float64Array {
  return sigmas.map((s) => f32(Math.log(s)));
}

/**
 * diffusers' `_sigma_to_t`: the fractional timestep whose log-sigma, interpolated linearly between the two
 * neighbouring training timesteps, equals log(sigma). `logSigmasAscending` is indexed by timestep.
 */
export function sigmaToTimestep(sigma: number, logSigmasAscending: Float64Array): number {
  const logSigma = Math.log(sigma);
  let low = 0;
  for (let i = 0; i < logSigmasAscending.length; i++) if (logSigma - logSigmasAscending[i]! >= 0) low = i;
  low = Math.min(low, logSigmasAscending.length - 2);
  const lowLog = logSigmasAscending[low]!;
  const highLog = logSigmasAscending[low + 1]!;
  // numpy subtracts the two float32 entries in float32 before dividing in double.
  const w = Math.min(Math.max((lowLog - logSigma) / f32(lowLog - highLog), 0), 1);
  return (1 - w) * low + w * (low + 1);
}
