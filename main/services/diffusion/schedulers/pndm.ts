/**
 * PNDM as Stable Diffusion 1.x ships it, after diffusers/src/diffusers/schedulers/scheduling_pndm.py
 * (PNDMScheduler with skip_prk_steps): pseudo linear multistep (PLMS) only. The schedule repeats the second
 * timestep, because the first PLMS step is completed by a second model call at the same place (a Heun-like
 * warm-up).
 */
import type { SchedulerConfig } from './config';
import { addNoiseVp } from './forward-process';
import { linearCombination } from './linear-combination';
import { alphasCumprodFor } from './noise-schedule';
import type { Scheduler } from './scheduler';
import { assertStepCount } from './timestep-checks';
import { ddimTimesteps } from './timestep-spacing';

export class PndmScheduler implements Scheduler {
  readonly initNoiseSigma = 1;
  timesteps: number[] = [];
  private readonly alphasCumprod: Float64Array;
  private readonly finalAlphaCumprod: number;
  private stepRatio = 0;
  /** Model outputs of the last steps (newest last), at most 4. */
  private ets: Float32Array[] = [];
  private counter = 0;
  private warmupSample: Float32Array | undefined;

  constructor(private readonly config: SchedulerConfig) {
    if (!config.skipPrkSteps) {
      throw new Error('PNDM: only skip_prk_steps = true (the Stable Diffusion setting) is supported');
    }
    this.alphasCumprod = alphasCumprodFor(config);
    this.finalAlphaCumprod = config.setAlphaToOne ? 1 : this.alphasCumprod[0]!;
  }

  setTimesteps(numInferenceSteps: number): void {
    const n = this.config.numTrainTimesteps;
    assertStepCount(numInferenceSteps, n);
    this.stepRatio = Math.floor(n / numInferenceSteps);
    const ascending = ddimTimesteps(
      this.config.timestepSpacing ?? 'leading',
      n,
      numInferenceSteps,
      this.config.stepsOffset,
    ).reverse();
    // [t0 … t(n−2), t(n−2), t(n−1)] reversed: the second-highest timestep is visited twice.
    this.timesteps = [
      ...ascending.slice(0, -1),
      ...ascending.slice(-2, -1),
      ...ascending.slice(-1),
    ].reverse();
    this.ets = [];
    this.counter = 0;
    this.warmupSample = undefined;
  }

  scaleModelInput(sample: Float32Array): Float32Array {
    return sample;
  }

  step(modelOutput: Float32Array, timestep: number, sample: Float32Array): Float32Array {
    if (this.timesteps.length === 0) throw new Error('PNDM: call setTimesteps before step');
    let from = timestep;
    let to = timestep - this.stepRatio;
    if (this.counter === 1) {
      // Second call of the warm-up: re-do the first step from its start with the averaged slope.
      to = timestep;
      from = timestep + this.stepRatio;
    } else {
      this.ets = [...this.ets.slice(-3), modelOutput];
    }

    let eps: Float32Array;
    let start = sample;
    const e = this.ets;
    if (e.length === 1 && this.counter === 0) {
      eps = modelOutput;
      this.warmupSample = sample;
    } else if (e.length === 1 && this.counter === 1) {
      eps = linearCombination([
        [0.5, modelOutput],
        [0.5, e[0]!],
      ]);
      start = this.warmupSample!;
      this.warmupSample = undefined;
    } else if (e.length === 2) {
      eps = linearCombination([
        [1.5, e[1]!],
        [-0.5, e[0]!],
      ]);
    } else if (e.length === 3) {
      eps = linearCombination([
        [23 / 12, e[2]!],
        [-16 / 12, e[1]!],
        [5 / 12, e[0]!],
      ]);
    } else {
      eps = linearCombination([
        [55 / 24, e[3]!],
        [-59 / 24, e[2]!],
        [37 / 24, e[1]!],
        [-9 / 24, e[0]!],
      ]);
    }
    this.counter++;
    return this.previousSample(start, from, to, eps);
  }

  /** PNDM's transfer x_t → x_{t−δ} (formula (9) of the PNDM paper); `eps` is the raw (combined) model output. */
  private previousSample(
    sample: Float32Array,
    timestep: number,
    prevTimestep: number,
    eps: Float32Array,
  ): Float32Array {
    const alphaProd = this.alphasCumprod[timestep]!;
    const alphaProdPrev = prevTimestep >= 0 ? this.alphasCumprod[prevTimestep]! : this.finalAlphaCumprod;
    const betaProd = 1 - alphaProd;
    const betaProdPrev = 1 - alphaProdPrev;
    const sampleCoeff = Math.sqrt(alphaProdPrev / alphaProd);
    const denominator = alphaProd * Math.sqrt(betaProdPrev) + Math.sqrt(alphaProd * betaProd * alphaProdPrev);
    const epsCoeff = -(alphaProdPrev - alphaProd) / denominator;
    if (this.config.predictionType === 'v_prediction') {
      // diffusers converts the (combined) velocity to epsilon here: ε = √ᾱ·v + √(1 − ᾱ)·x.
      return linearCombination([
        [sampleCoeff + epsCoeff * Math.sqrt(betaProd), sample],
        [epsCoeff * Math.sqrt(alphaProd), eps],
      ]);
    }
    return linearCombination([
      [sampleCoeff, sample],
      [epsCoeff, eps],
    ]);
  }

  addNoise(original: Float32Array, noise: Float32Array, timesteps: readonly number[]): Float32Array {
    return addNoiseVp(this.alphasCumprod, original, noise, timesteps);
  }
}
