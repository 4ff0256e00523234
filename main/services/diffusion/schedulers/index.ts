export {
  parseSchedulerConfig,
  SD1_SCHEDULER_CONFIG,
  type PredictionType,
  type SchedulerConfig,
  type TimestepSpacing,
} from './config';
export { createScheduler, isSchedulerName, SCHEDULER_NAMES, type SchedulerName } from './registry';
export { addNoiseVp, velocityVp, type Scheduler } from './scheduler';
export { alphasCumprodFor } from './noise-schedule';
