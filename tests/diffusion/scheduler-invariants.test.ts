/**
 * Samplers without a diffusers fixture (Euler ancestral, UniPC) checked by properties that a wrong
 * implementation breaks, plus the forward process used by training and the timestep spacings.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TorchGenerator } from '../../main/services/diffusion/rng/torch-generator';
import { parseSchedulerConfig, SD1_SCHEDULER_CONFIG } from '../../main/services/diffusion/schedulers/config';
import { DdimScheduler } from '../../main/services/diffusion/schedulers/ddim';
import { createScheduler, type SchedulerName } from '../../main/services/diffusion/schedulers/registry';
import type { Scheduler } from '../../main/services/diffusion/schedulers/scheduler';
import { readF32, relativeError, sdFixturePath } from './fixtures';
import { expectWithin } from '../parity';

const x0 = readF32('sched_x0.f32');

function fakeEps(scheduler: Scheduler, x: Float32Array, t: number): Float32Array {
  const offset = 0.1 * Math.sin(t / 100);
  return scheduler.scaleModelInput(x, t).map((v) => 0.3 * v + offset);
}

function sample(
  name: SchedulerName,
  steps: number,
  generator?: TorchGenerator,
  scheduler = createScheduler(name, SD1_SCHEDULER_CONFIG),
): Float32Array {
  scheduler.setTimesteps(steps);
  let x: Float32Array = x0.map((v) => v * scheduler.initNoiseSigma);
  for (const t of scheduler.timesteps) x = scheduler.step(fakeEps(scheduler, x, t), t, x, generator);
  return x;
}

/** σ(t) of a sigma-space scheduler, read through the public API: addNoise(0, 1, t) = σ(t). */
function sigmasOf(scheduler: Scheduler): number[] {
  return scheduler.timesteps.map(
    (t) => scheduler.addNoise(new Float32Array(1), new Float32Array([1]), [t])[0]!,
  );
}

describe('Euler ancestral (no diffusers fixture)', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    const a = sample('euler-a', 20, new TorchGenerator(7));
    const b = sample('euler-a', 20, new TorchGenerator(7));
    const c = sample('euler-a', 20, new TorchGenerator(8));
    expect(Array.from(b)).toEqual(Array.from(a));
    expect(relativeError(c, a)).toBeGreaterThan(1e-3);
  });

  it("uses Euler's timesteps, sigmas and initial noise scale", () => {
    const euler = createScheduler('euler', SD1_SCHEDULER_CONFIG);
    const ancestral = createScheduler('euler-a', SD1_SCHEDULER_CONFIG);
    euler.setTimesteps(20);
    ancestral.setTimesteps(20);
    expect(ancestral.timesteps).toEqual(euler.timesteps);
    expect(sigmasOf(ancestral)).toEqual(sigmasOf(euler));
    expect(ancestral.initNoiseSigma).toBe(euler.initNoiseSigma);
  });

  it('splits each step into σ_down (deterministic) and σ_up (noise) with σ_down² + σ_up² = σ_next²', () => {
    const scheduler = createScheduler('euler-a', SD1_SCHEDULER_CONFIG);
    scheduler.setTimesteps(20);
    const sigmas = [...sigmasOf(scheduler), 0];
    for (const index of [0, 9, 18]) {
      const t = scheduler.timesteps[index]!;
      // eps = 1, x = 0: x' = (σ_down − σ) + σ_up·noise, and a twin generator gives the same noise.
      const n = 4096;
      const out = scheduler.step(
        new Float32Array(n).fill(1),
        t,
        new Float32Array(n),
        new TorchGenerator(index),
      );
      const noise = new TorchGenerator(index).randn([n]);
      const sigmaUp = (out[1]! - out[0]!) / (noise[1]! - noise[0]!);
      const sigmaDown = out[0]! - sigmaUp * noise[0]! + sigmas[index]!;
      for (let i = 0; i < n; i += 97)
        expect(out[i]!).toBeCloseTo(sigmaDown - sigmas[index]! + sigmaUp * noise[i]!, 4);
      const next = sigmas[index + 1]! ** 2;
      expectWithin(
        `σ_down² + σ_up² = σ_next² at step ${index}`,
        Math.abs(sigmaDown ** 2 + sigmaUp ** 2 - next) / next,
        1e-4,
      );
      expect(sigmaUp).toBeGreaterThan(0);
    }
  });

  it('draws exactly one latent-sized normal tensor per step from the shared generator', () => {
    const g = new TorchGenerator(3);
    sample('euler-a', 5, g);
    const twin = new TorchGenerator(3);
    for (let i = 0; i < 5; i++) twin.randn([x0.length]);
    expect(Array.from(g.randn([16]))).toEqual(Array.from(twin.randn([16])));
  });

  it('with one generator per batch item, each image equals the same image sampled alone (per-image seeds)', () => {
    const run = (latents: Float32Array, generators: TorchGenerator[]) => {
      const scheduler = createScheduler('euler-a', SD1_SCHEDULER_CONFIG);
      scheduler.setTimesteps(8);
      let x: Float32Array = latents.map((v) => v * scheduler.initNoiseSigma);
      for (const t of scheduler.timesteps) x = scheduler.step(fakeEps(scheduler, x, t), t, x, generators);
      return x;
    };
    const second = x0.map((v) => -v);
    const batch = run(Float32Array.from([...x0, ...second]), [
      new TorchGenerator(21),
      new TorchGenerator(22),
    ]);
    const alone = run(second, [new TorchGenerator(22)]);
    expect(Array.from(batch.slice(x0.length))).toEqual(Array.from(alone));
  });

  it('refuses to step without a generator', () => {
    const scheduler = createScheduler('euler-a', SD1_SCHEDULER_CONFIG);
    scheduler.setTimesteps(4);
    expect(() => scheduler.step(x0, scheduler.timesteps[0]!, x0)).toThrow(/generator/);
  });
});

describe('UniPC (no diffusers fixture)', () => {
  it("uses DPM-Solver's timesteps", () => {
    const unipc = createScheduler('unipc', SD1_SCHEDULER_CONFIG);
    const dpm = createScheduler('dpmpp-2m', SD1_SCHEDULER_CONFIG);
    unipc.setTimesteps(20);
    dpm.setTimesteps(20);
    expect(unipc.timesteps).toEqual(dpm.timesteps);
  });

  it('reduces to the first-order DPM-Solver++ step for a single step', () => {
    expectWithin(
      'UniPC 1 step vs DPM++ 2M 1 step',
      relativeError(sample('unipc', 1), sample('dpmpp-2m', 1)),
      1e-6,
    );
  });

  it('is repeatable: setTimesteps clears the multistep history', () => {
    const scheduler = createScheduler('unipc', SD1_SCHEDULER_CONFIG);
    const first = sample('unipc', 12, undefined, scheduler);
    const second = sample('unipc', 12, undefined, scheduler);
    expect(Array.from(second)).toEqual(Array.from(first));
  });

  it('converges to the ODE solution, at least second order, ahead of DPM++ 2M at few steps', () => {
    // Reference: DPM-Solver++ 2M with 500 steps on the same fake model.
    const reference = sample('dpmpp-2m', 500);
    const error10 = relativeError(sample('unipc', 10), reference);
    const error20 = relativeError(sample('unipc', 20), reference);
    const dpmError10 = relativeError(sample('dpmpp-2m', 10), reference);
    console.log(
      `vs 500-step reference: UniPC 10 steps ${error10.toExponential(2)}, 20 steps ${error20.toExponential(2)}; DPM++ 2M 10 steps ${dpmError10.toExponential(2)}`,
    );
    expect(error10).toBeLessThan(dpmError10);
    expect(error20).toBeLessThan(error10 / 3);
  });
});

describe('forward process and spacings', () => {
  it('addNoise reproduces the training fixture (DDPM add_noise)', () => {
    const bytes = readFileSync(sdFixturePath('train_timesteps.i64'));
    const timesteps = Array.from(
      new BigInt64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)),
      Number,
    );
    const scheduler = createScheduler('ddim', SD1_SCHEDULER_CONFIG);
    const ours = scheduler.addNoise(readF32('train_latents.f32'), readF32('train_noise.f32'), timesteps);
    const reference = readF32('train_noisy.f32');
    const exact = ours.filter((v, i) => v === reference[i]).length;
    const error = relativeError(ours, reference);
    console.log(`addNoise: ${((100 * exact) / ours.length).toFixed(1)}% bit-exact`);
    expectWithin('addNoise vs train_noisy', error, 1e-6);
    expect(exact).toBe(ours.length);
  });

  it('DDIM trailing and linspace spacings (hand-computed)', () => {
    const trailing = new DdimScheduler(parseSchedulerConfig({ timestep_spacing: 'trailing' }));
    trailing.setTimesteps(20);
    expect(trailing.timesteps).toEqual(Array.from({ length: 20 }, (_, i) => 999 - 50 * i));
    const linspace = new DdimScheduler(parseSchedulerConfig({ timestep_spacing: 'linspace' }));
    linspace.setTimesteps(4);
    expect(linspace.timesteps).toEqual([999, 666, 333, 0]);
  });

  it('DDIM with eta > 0 draws its noise from the generator', () => {
    const make = () => new DdimScheduler(SD1_SCHEDULER_CONFIG, { eta: 1 });
    const a = sample('ddim', 10, new TorchGenerator(1), make());
    const b = sample('ddim', 10, new TorchGenerator(1), make());
    const deterministic = sample('ddim', 10);
    expect(Array.from(b)).toEqual(Array.from(a));
    expect(relativeError(a, deterministic)).toBeGreaterThan(1e-3);
  });

  it('SD1_SCHEDULER_CONFIG is what the SD 1.x scheduler_config.json parses to', () => {
    const json: unknown = JSON.parse(readFileSync(sdFixturePath('sd-tiny/scheduler_config.json'), 'utf8'));
    expect(parseSchedulerConfig(json)).toEqual(SD1_SCHEDULER_CONFIG);
  });

  it('rejects unsupported configs with a clear message', () => {
    expect(() => parseSchedulerConfig({ prediction_type: 'sample' })).toThrow(/v_prediction/);
    expect(() => parseSchedulerConfig({ beta_schedule: 'sigmoid' })).toThrow(/beta_schedule/);
  });
});
