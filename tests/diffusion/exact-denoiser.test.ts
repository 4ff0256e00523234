/**
 * With a model that knows the clean sample x0 (it predicts exactly the noise in its input), every
 * deterministic sampler must land on the end of the noising path, whatever the step count: a sign or
 * coefficient error in any step breaks this.
 */
import { describe, it } from 'vitest';
import { TorchGenerator } from '../../main/services/diffusion/rng/torch-generator';
import { SD1_SCHEDULER_CONFIG } from '../../main/services/diffusion/schedulers/config';
import { alphasCumprodFor } from '../../main/services/diffusion/schedulers/noise-schedule';
import { createScheduler, type SchedulerName } from '../../main/services/diffusion/schedulers/registry';
import type { Scheduler } from '../../main/services/diffusion/schedulers/scheduler';
import { relativeError } from './fixtures';
import { expectWithin } from '../parity';

const size = 256;
const x0 = new TorchGenerator(1).randn([size]).map((v) => 0.5 * v);
const noise = new TorchGenerator(2).randn([size]);
const alphasCumprod = alphasCumprodFor(SD1_SCHEDULER_CONFIG);

/** σ(t) of a sigma-space scheduler: addNoise(0, 1, t). */
const sigmaAt = (scheduler: Scheduler, t: number) =>
  scheduler.addNoise(new Float32Array(1), new Float32Array([1]), [t])[0]!;

function denoise(name: SchedulerName, steps: number, sigmaSpace: boolean): Float32Array {
  const scheduler = createScheduler(name, SD1_SCHEDULER_CONFIG);
  scheduler.setTimesteps(steps);
  const first = scheduler.timesteps[0]!;
  // Start on the noising path at the first timestep.
  let x: Float32Array = sigmaSpace
    ? x0.map((v, i) => v + sigmaAt(scheduler, first) * noise[i]!)
    : x0.map(
        (v, i) => Math.sqrt(alphasCumprod[first]!) * v + Math.sqrt(1 - alphasCumprod[first]!) * noise[i]!,
      );
  for (const t of scheduler.timesteps) {
    const input = scheduler.scaleModelInput(x, t);
    // VP view of the input: x_in = α·x0 + σ·ε, so ε = (x_in − α·x0)/σ.
    const [alpha, sigma] = sigmaSpace
      ? [
          1 / Math.sqrt(sigmaAt(scheduler, t) ** 2 + 1),
          sigmaAt(scheduler, t) / Math.sqrt(sigmaAt(scheduler, t) ** 2 + 1),
        ]
      : [Math.sqrt(alphasCumprod[t]!), Math.sqrt(1 - alphasCumprod[t]!)];
    const eps = input.map((v, i) => (v - alpha * x0[i]!) / sigma);
    x = scheduler.step(eps, t, x);
  }
  return x;
}

describe('exact denoiser: samplers follow the noising path to its end', () => {
  // VP samplers end at t = 0 (ᾱ_0, since set_alpha_to_one is false); sigma samplers end at σ = 0.
  const atTimestepZero = x0.map(
    (v, i) => Math.sqrt(alphasCumprod[0]!) * v + Math.sqrt(1 - alphasCumprod[0]!) * noise[i]!,
  );
  const cases: Array<[SchedulerName, boolean]> = [
    ['pndm', false],
    ['ddim', false],
    ['dpmpp-2m', false],
    ['dpmpp-2m-karras', false],
    ['unipc', false],
    ['euler', true],
    ['lms', true],
  ];
  for (const [name, sigmaSpace] of cases) {
    for (const steps of [1, 3, 10, 25]) {
      it(`${name}, ${steps} steps`, () => {
        const expected = sigmaSpace ? x0 : atTimestepZero;
        expectWithin(
          `${name}, ${steps} steps vs the exact x0`,
          relativeError(denoise(name, steps, sigmaSpace), expected),
          1e-5,
        );
      });
    }
  }
});
