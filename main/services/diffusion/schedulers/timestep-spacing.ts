/**
 * The three timestep spacings of diffusers 0.19 ("Common Diffusion Noise Schedules and Sample Steps are
 * Flawed", table 2), in the slightly different forms each scheduler family uses. All return timesteps in
 * sampling order (descending).
 */
import type { TimestepSpacing } from './config';
import { roundHalfEven } from '../../../common/round';
import { linspace } from './linspace';

/** np.arange(stop, 0, -step): stop, stop − step, … while > 0. */
function arangeDown(stop: number, step: number): number[] {
  return Array.from({ length: Math.ceil(stop / step) }, (_, i) => stop - i * step);
}

/** DDIM / PNDM: integer timesteps, "leading" adds steps_offset. */
export function ddimTimesteps(
  spacing: TimestepSpacing,
  trainSteps: number,
  steps: number,
  stepsOffset: number,
): number[] {
  switch (spacing) {
    case 'linspace':
      return linspace(0, trainSteps - 1, steps)
        .map(roundHalfEven)
        .reverse();
    case 'leading': {
      const ratio = Math.floor(trainSteps / steps);
      return Array.from({ length: steps }, (_, i) => i * ratio + stepsOffset).reverse();
    }
    case 'trailing':
      return arangeDown(trainSteps, trainSteps / steps).map((t) => roundHalfEven(t) - 1);
  }
}

/** Euler / Euler ancestral / LMS: float timesteps ("linspace" keeps fractions). */
export function sigmaFamilyTimesteps(
  spacing: TimestepSpacing,
  trainSteps: number,
  steps: number,
  stepsOffset: number,
): number[] {
  switch (spacing) {
    case 'linspace':
      return linspace(0, trainSteps - 1, steps).reverse();
    case 'leading': {
      const ratio = Math.floor(trainSteps / steps);
      return Array.from({ length: steps }, (_, i) => i * ratio + stepsOffset).reverse();
    }
    case 'trailing':
      return arangeDown(trainSteps, trainSteps / steps).map((t) => roundHalfEven(t) - 1);
  }
}

/** DPM-Solver / UniPC: n + 1 points with the last (t = 0 side) dropped, duplicates removed. */
export function multistepTimesteps(
  spacing: TimestepSpacing,
  trainSteps: number,
  steps: number,
  stepsOffset: number,
): number[] {
  let timesteps: number[];
  switch (spacing) {
    case 'linspace':
      timesteps = linspace(0, trainSteps - 1, steps + 1)
        .map(roundHalfEven)
        .reverse()
        .slice(0, -1);
      break;
    case 'leading': {
      const ratio = Math.floor(trainSteps / (steps + 1));
      timesteps = Array.from({ length: steps + 1 }, (_, i) => i * ratio + stepsOffset)
        .reverse()
        .slice(0, -1);
      break;
    }
    case 'trailing':
      timesteps = arangeDown(trainSteps, trainSteps / steps).map((t) => roundHalfEven(t) - 1);
      break;
  }
  return uniqueInOrder(timesteps);
}

/** np.unique with return_index, re-sorted by first occurrence: drops repeats, keeps order. */
export function uniqueInOrder(values: number[]): number[] {
  return [...new Set(values)];
}
