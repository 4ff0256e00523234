/**
 * Velocity (v-prediction, SD 2.x 768) support: a v-model that is the exact reparametrisation of an
 * epsilon-model must give the same samples, since every scheduler converts to x0 / ε per step.
 */
import { describe, it } from 'vitest';
import { TorchGenerator } from '../../main/services/diffusion/rng/torch-generator';
import { SD1_SCHEDULER_CONFIG, type SchedulerConfig } from '../../main/services/diffusion/schedulers/config';
import { addNoiseVp, velocityVp } from '../../main/services/diffusion/schedulers/forward-process';
import { alphasCumprodFor } from '../../main/services/diffusion/schedulers/noise-schedule';
import { createScheduler, type SchedulerName } from '../../main/services/diffusion/schedulers/registry';
import type { Scheduler } from '../../main/services/diffusion/schedulers/scheduler';
import { readF32, relativeError } from './fixtures';
import { expectWithin } from '../parity';

const x0 = readF32('sched_x0.f32');
const alphasCumprod = alphasCumprodFor(SD1_SCHEDULER_CONFIG);
const V_CONFIG: SchedulerConfig = { ...SD1_SCHEDULER_CONFIG, predictionType: 'v_prediction' };

/** The model input is VP-scaled; (α, σ) of that VP view at t. */
type AlphaSigma = (scheduler: Scheduler, t: number) => [number, number];
const vpAt: AlphaSigma = (_s, t) => [Math.sqrt(alphasCumprod[t]!), Math.sqrt(1 - alphasCumprod[t]!)];
const karrasAt: AlphaSigma = (scheduler, t) => {
  const sigma = scheduler.addNoise(new Float32Array(1), new Float32Array([1]), [t])[0]!;
  return [1 / Math.sqrt(sigma * sigma + 1), sigma / Math.sqrt(sigma * sigma + 1)];
};

function epsModel(input: Float32Array, t: number): Float32Array {
  return input.map((v) => 0.3 * v + 0.1 * Math.sin(t / 100));
}

function run(name: SchedulerName, config: SchedulerConfig, alphaSigma: AlphaSigma): Float32Array {
  const scheduler = createScheduler(name, config);
  scheduler.setTimesteps(15);
  const generator = new TorchGenerator(5);
  let x: Float32Array = x0.map((v) => v * scheduler.initNoiseSigma);
  for (const t of scheduler.timesteps) {
    const input = scheduler.scaleModelInput(x, t);
    const eps = epsModel(input, t);
    let output = eps;
    if (config.predictionType === 'v_prediction') {
      // v = (ε − σ·x_vp)/α for the VP-scaled input x_vp = α·x0 + σ·ε.
      const [alpha, sigma] = alphaSigma(scheduler, t);
      output = eps.map((e, i) => (e - sigma * input[i]!) / alpha);
    }
    x = scheduler.step(output, t, x, generator);
  }
  return x;
}

describe('v-prediction', () => {
  const cases: Array<[SchedulerName, AlphaSigma]> = [
    ['ddim', vpAt],
    ['dpmpp-2m', vpAt],
    ['dpmpp-2m-karras', vpAt],
    ['unipc', vpAt],
    ['euler', karrasAt],
    ['euler-a', karrasAt],
    ['lms', karrasAt],
  ];
  for (const [name, alphaSigma] of cases) {
    it(`${name}: the v-reparametrised model samples like the epsilon model`, () => {
      const error = relativeError(
        run(name, V_CONFIG, alphaSigma),
        run(name, SD1_SCHEDULER_CONFIG, alphaSigma),
      );
      expectWithin(`${name}: v-prediction loop vs epsilon loop`, error, 1e-5);
    });
  }

  it('pndm: the first step agrees (PLMS then combines raw velocities, as diffusers does)', () => {
    const step = (config: SchedulerConfig) => {
      const scheduler = createScheduler('pndm', config);
      scheduler.setTimesteps(15);
      const t = scheduler.timesteps[0]!;
      const eps = epsModel(x0, t);
      const [alpha, sigma] = vpAt(scheduler, t);
      const output =
        config.predictionType === 'v_prediction' ? eps.map((e, i) => (e - sigma * x0[i]!) / alpha) : eps;
      return scheduler.step(output, t, x0);
    };
    expectWithin(
      'one v-prediction step vs epsilon step',
      relativeError(step(V_CONFIG), step(SD1_SCHEDULER_CONFIG)),
      1e-5,
    );
  });

  it('velocityVp is the target that maps a noised sample back: x0 = √ᾱ·x_t − √(1 − ᾱ)·v', () => {
    const noise = new TorchGenerator(9).randn([x0.length]);
    const t = [640];
    const noisy = addNoiseVp(alphasCumprod, x0, noise, t);
    const v = velocityVp(alphasCumprod, x0, noise, t);
    const a = Math.sqrt(alphasCumprod[640]!);
    const b = Math.sqrt(1 - alphasCumprod[640]!);
    expectWithin(
      'x0 = √ᾱ·x_t − √(1−ᾱ)·v',
      relativeError(
        noisy.map((x, i) => a * x - b * v[i]!),
        x0,
      ),
      1e-6,
    );
  });
});
