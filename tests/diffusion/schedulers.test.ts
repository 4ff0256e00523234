import { describe, expect, it } from 'vitest';
import { parseSchedulerConfig } from '../../main/services/diffusion/schedulers/config';
import { createScheduler, type SchedulerName } from '../../main/services/diffusion/schedulers/registry';
import type { Scheduler } from '../../main/services/diffusion/schedulers/scheduler';
import { readF32, readManifest, relativeError } from './fixtures';
import { expectWithin } from '../parity';

const manifest = readManifest();
const FIXTURE_NAMES: Record<string, SchedulerName> = {
  pndm: 'pndm',
  ddim: 'ddim',
  euler: 'euler',
  lms: 'lms',
  dpmpp2m: 'dpmpp-2m',
  dpmpp2m_karras: 'dpmpp-2m-karras',
};

/** The manifest's fake model: eps(x, t) = 0.3·scale_model_input(x, t) + 0.1·sin(t/100). */
function fakeEps(scheduler: Scheduler, x: Float32Array, t: number): Float32Array {
  const scaled = scheduler.scaleModelInput(x, t);
  const offset = 0.1 * Math.sin(t / 100);
  return scaled.map((v) => 0.3 * v + offset);
}

function runLoop(scheduler: Scheduler, steps: number): Float32Array {
  scheduler.setTimesteps(steps);
  let x: Float32Array = readF32('sched_x0.f32').map((v) => v * scheduler.initNoiseSigma);
  for (const t of scheduler.timesteps) x = scheduler.step(fakeEps(scheduler, x, t), t, x);
  return x;
}

describe('schedulers match diffusers 0.19.3 on the fixture loops', () => {
  it('covers every scheduler of the manifest', () => {
    expect(Object.keys(manifest.schedulers).sort()).toEqual(Object.keys(FIXTURE_NAMES).sort());
  });

  for (const [fixtureName, name] of Object.entries(FIXTURE_NAMES)) {
    const fixture = manifest.schedulers[fixtureName]!;
    const make = () => createScheduler(name, parseSchedulerConfig(fixture.config));

    it(`${fixtureName}: 20-step timesteps exact`, () => {
      const scheduler = make();
      scheduler.setTimesteps(20);
      expect(scheduler.timesteps).toEqual(fixture.timesteps);
    });

    it(`${fixtureName}: init_noise_sigma bit-exact`, () => {
      // For Euler/LMS this is the largest training sigma: a float32 value that depends on every beta.
      expect(make().initNoiseSigma).toBe(fixture.init_noise_sigma);
    });

    it(`${fixtureName}: 20-step fake-model loop within 1e-4 relative`, () => {
      const ours = runLoop(make(), 20);
      const error = relativeError(ours, readF32(`sched_${fixtureName}_out.f32`));
      expectWithin(`scheduler ${fixtureName} 20-step loop`, error, 1e-4);
    });
  }
});
