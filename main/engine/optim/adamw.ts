// AdamW with decoupled weight decay and bias correction, following torch.optim.AdamW (amsgrad off):
//   p ← p·(1 − lr·wd);  m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²
//   p ← p − (lr / (1−β1ᵗ)) · m / (√v / √(1−β2ᵗ) + ε)
import { checkGradients, checkStateKind, copySlots, type OptimizerState, type TensorSet } from './params';

export interface AdamWOptions {
  lr: number;
  betas?: readonly [number, number];
  eps?: number;
  weightDecay?: number;
}

interface Moments {
  step: number;
  expAvg: Float32Array;
  expAvgSq: Float32Array;
}

export class AdamW {
  lr: number;
  readonly betas: readonly [number, number];
  readonly eps: number;
  readonly weightDecay: number;
  private moments = new Map<string, Moments>();

  constructor(options: AdamWOptions) {
    this.lr = options.lr;
    this.betas = options.betas ?? [0.9, 0.999];
    this.eps = options.eps ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 1e-2;
    const [b1, b2] = this.betas;
    if (!(b1 >= 0 && b1 < 1 && b2 >= 0 && b2 < 1))
      throw new Error(`AdamW betas must lie in [0, 1), got ${b1}, ${b2}`);
    if (!(this.lr >= 0) || !(this.eps >= 0) || !(this.weightDecay >= 0))
      throw new Error('AdamW lr, eps and weightDecay must be ≥ 0');
  }

  /** Updates each parameter that has a gradient, in place. Parameters without a gradient are untouched. */
  step(params: TensorSet, grads: Readonly<TensorSet>): void {
    checkGradients(params, grads);
    const [b1, b2] = this.betas;
    for (const [name, grad] of Object.entries(grads)) {
      const p = params[name]!;
      const m = this.momentsFor(name, p.length);
      m.step += 1;
      const stepSize = this.lr / (1 - b1 ** m.step);
      const bc2Sqrt = Math.sqrt(1 - b2 ** m.step);
      const decay = 1 - this.lr * this.weightDecay;
      const { expAvg, expAvgSq } = m;
      for (let i = 0; i < p.length; i++) {
        const g = grad[i]!;
        expAvg[i] = b1 * expAvg[i]! + (1 - b1) * g;
        expAvgSq[i] = b2 * expAvgSq[i]! + (1 - b2) * g * g;
        const denom = Math.sqrt(expAvgSq[i]!) / bc2Sqrt + this.eps;
        p[i] = p[i]! * decay - (stepSize * expAvg[i]!) / denom;
      }
    }
  }

  state(): OptimizerState {
    const steps: OptimizerState['steps'] = {};
    const slots: OptimizerState['slots'] = {};
    for (const [name, m] of this.moments) {
      steps[name] = m.step;
      slots[name] = { expAvg: m.expAvg, expAvgSq: m.expAvgSq };
    }
    const hyper = {
      lr: this.lr,
      beta1: this.betas[0],
      beta2: this.betas[1],
      eps: this.eps,
      weightDecay: this.weightDecay,
    };
    return { kind: 'adamw', hyper, steps, slots: copySlots(slots) };
  }

  /** Restores moments and step counts (hyper-parameters stay as constructed, except lr which is restored). */
  load(state: OptimizerState): void {
    checkStateKind(state, 'adamw', ['expAvg', 'expAvgSq']);
    this.moments.clear();
    for (const [name, slots] of Object.entries(copySlots(state.slots))) {
      if (slots.expAvg!.length !== slots.expAvgSq!.length)
        throw new Error(`optimizer state for "${name}": moment lengths differ`);
      this.moments.set(name, { step: state.steps[name]!, expAvg: slots.expAvg!, expAvgSq: slots.expAvgSq! });
    }
    if (typeof state.hyper.lr === 'number') this.lr = state.hyper.lr;
  }

  private momentsFor(name: string, length: number): Moments {
    let m = this.moments.get(name);
    if (!m) {
      m = { step: 0, expAvg: new Float32Array(length), expAvgSq: new Float32Array(length) };
      this.moments.set(name, m);
    }
    if (m.expAvg.length !== length)
      throw new Error(`parameter "${name}" changed size from ${m.expAvg.length} to ${length}`);
    return m;
  }
}
