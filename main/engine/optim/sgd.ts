// SGD following torch.optim.SGD: L2 weight decay added to the gradient, optional momentum with dampening
// and Nesterov. The momentum buffer starts as a copy of the first gradient (torch semantics).
import { checkGradients, checkStateKind, copySlots, type OptimizerState, type TensorSet } from './params';

export interface SGDOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
}

export class SGD {
  lr: number;
  readonly momentum: number;
  readonly dampening: number;
  readonly weightDecay: number;
  readonly nesterov: boolean;
  private buffers = new Map<string, Float32Array>();
  private steps = new Map<string, number>();

  constructor(options: SGDOptions) {
    this.lr = options.lr;
    this.momentum = options.momentum ?? 0;
    this.dampening = options.dampening ?? 0;
    this.weightDecay = options.weightDecay ?? 0;
    this.nesterov = options.nesterov ?? false;
    if (this.nesterov && (this.momentum <= 0 || this.dampening !== 0)) {
      throw new Error('SGD Nesterov momentum needs momentum > 0 and dampening 0');
    }
  }

  step(params: TensorSet, grads: Readonly<TensorSet>): void {
    checkGradients(params, grads);
    for (const [name, grad] of Object.entries(grads)) {
      const p = params[name]!;
      const step = (this.steps.get(name) ?? 0) + 1;
      this.steps.set(name, step);
      const buf = this.momentum > 0 ? this.bufferFor(name, p.length) : undefined;
      for (let i = 0; i < p.length; i++) {
        let d = grad[i]! + this.weightDecay * p[i]!;
        if (buf) {
          buf[i] = step === 1 ? d : this.momentum * buf[i]! + (1 - this.dampening) * d;
          d = this.nesterov ? d + this.momentum * buf[i]! : buf[i]!;
        }
        p[i] = p[i]! - this.lr * d;
      }
    }
  }

  state(): OptimizerState {
    const slots: OptimizerState['slots'] = {};
    const steps: OptimizerState['steps'] = Object.fromEntries(this.steps);
    for (const [name, buf] of this.buffers) slots[name] = { momentumBuffer: buf };
    const hyper = {
      lr: this.lr,
      momentum: this.momentum,
      dampening: this.dampening,
      weightDecay: this.weightDecay,
      nesterov: this.nesterov,
    };
    return { kind: 'sgd', hyper, steps, slots: copySlots(slots) };
  }

  load(state: OptimizerState): void {
    checkStateKind(state, 'sgd', this.momentum > 0 ? ['momentumBuffer'] : []);
    this.buffers.clear();
    this.steps = new Map(Object.entries(state.steps));
    for (const [name, slots] of Object.entries(copySlots(state.slots))) {
      if (slots.momentumBuffer) this.buffers.set(name, slots.momentumBuffer);
    }
    if (typeof state.hyper.lr === 'number') this.lr = state.hyper.lr;
  }

  private bufferFor(name: string, length: number): Float32Array {
    let buf = this.buffers.get(name);
    if (!buf) {
      buf = new Float32Array(length);
      this.buffers.set(name, buf);
    }
    if (buf.length !== length)
      throw new Error(`parameter "${name}" changed size from ${buf.length} to ${length}`);
    return buf;
  }
}
