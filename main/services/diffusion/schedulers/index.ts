export {
  parseSchedulerConfig,
  SD1_SCHEDULER_CONFIG,
  type PredictionType,
  type SchedulerConfig,
  type TimestepSpacing,
} from './config';
export { createScheduler, type SchedulerName } from './registry';
export { addNoiseVp, velocityVp } from './forward-process';
export type { Scheduler } from './scheduler';
export { alphasCumprodFor } from './noise-schedule';
