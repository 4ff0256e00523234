/**
 * The samplers the studio offers, by the contract's names (SCHEDULER_NAMES), built from a model's diffusers
 * scheduler config (for SD 1.x: betas, steps_offset), like diffusers' `Scheduler.from_config`.
 */
import type { SchedulerName } from '../../../contract/names';
import type { SchedulerConfig } from './config';
import { DdimScheduler } from './ddim';
import { DpmSolverMultistepScheduler } from './dpm-solver-multistep';
import { EulerAncestralScheduler } from './euler-ancestral';
import { EulerScheduler } from './euler';
import { LmsScheduler } from './lms';
import { PndmScheduler } from './pndm';
import type { Scheduler } from './scheduler';
import { UniPcScheduler } from './unipc';

export type { SchedulerName };

/** The switch has no default, so a name added to the contract without a sampler here fails to compile. */
export function createScheduler(name: SchedulerName, modelConfig: SchedulerConfig): Scheduler {
  // The sampler's name decides Karras spacing, whatever the model's config says.
  const config: SchedulerConfig = { ...modelConfig, useKarrasSigmas: name === 'dpmpp-2m-karras' };
  switch (name) {
    case 'pndm':
      return new PndmScheduler({ ...config, skipPrkSteps: true });
    case 'ddim':
      return new DdimScheduler(config);
    case 'euler':
      return new EulerScheduler(config);
    case 'euler-a':
      return new EulerAncestralScheduler(config);
    case 'lms':
      return new LmsScheduler(config);
    case 'dpmpp-2m':
    case 'dpmpp-2m-karras':
      return new DpmSolverMultistepScheduler(config);
    case 'unipc':
      return new UniPcScheduler(config);
  }
}
