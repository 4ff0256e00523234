/**
 * Scheduler settings as diffusers stores them in `scheduler/scheduler_config.json` (snake_case), validated
 * and turned into one typed object. Keys a scheduler does not use are accepted and ignored, as diffusers
 * does when a config written for one scheduler class is loaded into another.
 */
import { z } from 'zod';

export type BetaSchedule = 'linear' | 'scaled_linear' | 'squaredcos_cap_v2';
export type TimestepSpacing = 'linspace' | 'leading' | 'trailing';
/** What the model predicts: the noise (SD 1.x, SD 2.x base) or the velocity αε − σx₀ (SD 2.x 768-v). */
export type PredictionType = 'epsilon' | 'v_prediction';

export interface SchedulerConfig {
  numTrainTimesteps: number;
  betaStart: number;
  betaEnd: number;
  betaSchedule: BetaSchedule;
  trainedBetas: number[] | undefined;
  stepsOffset: number;
  /** undefined: each scheduler's own diffusers 0.19 default (leading for PNDM/DDIM, linspace otherwise). */
  timestepSpacing: TimestepSpacing | undefined;
  setAlphaToOne: boolean;
  skipPrkSteps: boolean;
  /** undefined: the scheduler's default (DDIM clips unless told not to). */
  clipSample: boolean | undefined;
  useKarrasSigmas: boolean;
  lowerOrderFinal: boolean;
  predictionType: PredictionType;
}

const schema = z.looseObject({
  num_train_timesteps: z.number().int().positive().default(1000),
  beta_start: z.number().positive().default(0.0001),
  beta_end: z.number().positive().default(0.02),
  beta_schedule: z.enum(['linear', 'scaled_linear', 'squaredcos_cap_v2']).default('linear'),
  trained_betas: z.array(z.number()).nullish(),
  steps_offset: z.number().int().nonnegative().default(0),
  timestep_spacing: z.enum(['linspace', 'leading', 'trailing']).nullish(),
  set_alpha_to_one: z.boolean().default(true),
  skip_prk_steps: z.boolean().default(false),
  clip_sample: z.boolean().nullish(),
  use_karras_sigmas: z.boolean().nullish(),
  lower_order_final: z.boolean().default(true),
  prediction_type: z
    .enum(['epsilon', 'v_prediction'], { error: 'prediction_type must be epsilon or v_prediction' })
    .default('epsilon'),
});

/** Parses a diffusers scheduler config (the JSON object); throws a readable error on bad values. */
export function parseSchedulerConfig(json: unknown): SchedulerConfig {
  const parsed = schema.safeParse(json ?? {});
  if (!parsed.success) throw new Error(`invalid scheduler config: ${z.prettifyError(parsed.error)}`);
  const c = parsed.data;
  if (c.trained_betas && c.trained_betas.length !== c.num_train_timesteps) {
    throw new Error(
      `scheduler config: trained_betas has ${c.trained_betas.length} values, expected ${c.num_train_timesteps}`,
    );
  }
  return {
    numTrainTimesteps: c.num_train_timesteps,
    betaStart: c.beta_start,
    betaEnd: c.beta_end,
    betaSchedule: c.beta_schedule,
    trainedBetas: c.trained_betas ?? undefined,
    stepsOffset: c.steps_offset,
    timestepSpacing: c.timestep_spacing ?? undefined,
    setAlphaToOne: c.set_alpha_to_one,
    skipPrkSteps: c.skip_prk_steps,
    clipSample: c.clip_sample ?? undefined,
    useKarrasSigmas: c.use_karras_sigmas ?? false,
    lowerOrderFinal: c.lower_order_final,
    predictionType: c.prediction_type,
  };
}

/** The SD 1.x scheduler_config.json (PNDM settings shared by every SD 1.x scheduler choice). */
export const SD1_SCHEDULER_CONFIG: SchedulerConfig = parseSchedulerConfig({
  num_train_timesteps: 1000,
  beta_start: 0.00085,
  beta_end: 0.012,
  beta_schedule: 'scaled_linear',
  clip_sample: false,
  set_alpha_to_one: false,
  skip_prk_steps: true,
  steps_offset: 1,
});
