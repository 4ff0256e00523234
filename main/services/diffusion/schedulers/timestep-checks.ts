/** The checks every scheduler makes on step counts and timesteps, and diffusers' lookup of a timestep. */

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
