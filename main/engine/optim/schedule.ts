// Learning-rate schedules as functions of the optimizer step (0-based), matching diffusers'
// get_constant_schedule_with_warmup and get_cosine_schedule_with_warmup (half a cosine period).
export type LrSchedule = (step: number) => number;

export interface ConstantScheduleOptions {
  lr: number;
  warmupSteps?: number;
}

export function constantSchedule({ lr, warmupSteps = 0 }: ConstantScheduleOptions): LrSchedule {
  checkNonNegative({ lr, warmupSteps });
  return (step) => (step < warmupSteps ? (lr * step) / Math.max(1, warmupSteps) : lr);
}

export interface CosineScheduleOptions {
  lr: number;
  warmupSteps: number;
  totalSteps: number;
  /** Floor the cosine decays to (0 in diffusers). */
  minLr?: number;
}

export function cosineWithWarmup({
  lr,
  warmupSteps,
  totalSteps,
  minLr = 0,
}: CosineScheduleOptions): LrSchedule {
  checkNonNegative({ lr, warmupSteps, totalSteps, minLr });
  if (totalSteps < warmupSteps)
    throw new Error(`cosine schedule: totalSteps ${totalSteps} < warmupSteps ${warmupSteps}`);
  return (step) => {
    if (step < warmupSteps) return (lr * step) / Math.max(1, warmupSteps);
    const progress = (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps);
    const factor = Math.max(0, 0.5 * (1 + Math.cos(Math.PI * Math.min(1, progress))));
    return minLr + (lr - minLr) * factor;
  };
}

function checkNonNegative(values: Record<string, number>): void {
  for (const [k, v] of Object.entries(values)) {
    if (!(Number.isFinite(v) && v >= 0))
      throw new Error(`lr schedule: ${k} must be a finite number ≥ 0, got ${v}`);
  }
}
