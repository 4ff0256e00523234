/**
 * DDIM, after diffusers/src/diffusers/schedulers/scheduling_ddim.py (DDIMScheduler): deterministic with
 * eta = 0; eta > 0 adds σ_t-scaled fresh noise drawn from the generator.
 */
import { randnTensor, type Generators } from '../rng/randn-tensor';
import type { SchedulerConfig } from './config';
import { addNoiseVp } from './forward-process';
import { alphasCumprodFor } from './noise-schedule';
import type { Scheduler } from './scheduler';
import { assertInteger, assertStepCount } from './timestep-checks';
import { ddimTimesteps } from './timestep-spacing';

export interface DdimOptions {
  /** 0 = deterministic DDIM (the pipeline default), 1 = DDPM-like variance. */
  eta?: number;
}

export class DdimScheduler implements Scheduler {
  readonly initNoiseSigma = 1;
  timesteps: number[] = [];
  private readonly alphasCumprod: Float64Array;
  private readonly finalAlphaCumprod: number;
  private readonly eta: number;
  private readonly clipSample: boolean;
  private stepRatio = 0;

  constructor(
    private readonly config: SchedulerConfig,
    options: DdimOptions = {},
  ) {
    this.alphasCumprod = alphasCumprodFor(config);
    this.finalAlphaCumprod = config.setAlphaToOne ? 1 : this.alphasCumprod[0]!;
    this.eta = options.eta ?? 0;
    if (!(this.eta >= 0)) throw new Error(`DDIM eta must be ≥ 0, got ${this.eta}`);
    this.clipSample = config.clipSample ?? true;
  }

  setTimesteps(numInferenceSteps: number): void {
    const n = this.config.numTrainTimesteps;
    assertStepCount(numInferenceSteps, n);
    this.stepRatio = Math.floor(n / numInferenceSteps);
    this.timesteps = ddimTimesteps(
      this.config.timestepSpacing ?? 'leading',
      n,
      numInferenceSteps,
      this.config.stepsOffset,
    );
  }

  scaleModelInput(sample: Float32Array): Float32Array {
    return sample;
  }

  step(
    modelOutput: Float32Array,
    timestep: number,
    sample: Float32Array,
    generator?: Generators,
  ): Float32Array {
    if (this.timesteps.length === 0) throw new Error('DDIM: call setTimesteps before step');
    const t = assertInteger(timestep);
    const prev = t - this.stepRatio;
    const alphaProd = this.alphasCumprod[t]!;
    const alphaProdPrev = prev >= 0 ? this.alphasCumprod[prev]! : this.finalAlphaCumprod;
    const betaProd = 1 - alphaProd;
    const variance = ((1 - alphaProdPrev) / betaProd) * (1 - alphaProd / alphaProdPrev);
    const stdDev = this.eta * Math.sqrt(variance);
    const sqrtAlpha = Math.sqrt(alphaProd);
    const sqrtBeta = Math.sqrt(betaProd);
    const directionCoeff = Math.sqrt(1 - alphaProdPrev - stdDev * stdDev);
    const sqrtAlphaPrev = Math.sqrt(alphaProdPrev);

    const velocity = this.config.predictionType === 'v_prediction';
    const out = new Float32Array(sample.length);
    for (let i = 0; i < sample.length; i++) {
      const x = sample[i]!;
      const m = modelOutput[i]!;
      let x0 = velocity ? sqrtAlpha * x - sqrtBeta * m : (x - sqrtBeta * m) / sqrtAlpha;
      const eps = velocity ? sqrtAlpha * m + sqrtBeta * x : m;
      if (this.clipSample) x0 = Math.min(Math.max(x0, -1), 1);
      out[i] = sqrtAlphaPrev * x0 + directionCoeff * eps;
    }
    if (this.eta > 0) {
      if (!generator) throw new Error('DDIM with eta > 0 needs a generator for its noise');
      const noise = randnTensor(sample.length, generator);
      for (let i = 0; i < out.length; i++) out[i] = out[i]! + stdDev * noise[i]!;
    }
    return out;
  }

  addNoise(original: Float32Array, noise: Float32Array, timesteps: readonly number[]): Float32Array {
    return addNoiseVp(this.alphasCumprod, original, noise, timesteps);
  }
}
