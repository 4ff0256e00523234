// Named float32 parameter/gradient sets shared by the optimizers, clipping and accumulation.
export type TensorSet = Record<string, Float32Array>;

/** Throws unless every gradient names a known parameter of the same length. */
export function checkGradients(params: Readonly<TensorSet>, grads: Readonly<TensorSet>): void {
  for (const [name, grad] of Object.entries(grads)) {
    const param = params[name];
    if (!param) throw new Error(`gradient "${name}" has no matching parameter`);
    if (param.length !== grad.length) {
      throw new Error(`gradient "${name}" has ${grad.length} elements, its parameter ${param.length}`);
    }
  }
}

/** Optimizer hyper-parameters plus per-parameter slots (moment buffers) and step counts. */
export interface OptimizerState {
  kind: 'adamw' | 'sgd';
  hyper: Record<string, number | boolean>;
  steps: Record<string, number>;
  /** slots[param][slotName], e.g. slots.w.expAvg. Copies: mutating them does not touch the optimizer. */
  slots: Record<string, Record<string, Float32Array>>;
}

export function copySlots(slots: OptimizerState['slots']): OptimizerState['slots'] {
  const out: OptimizerState['slots'] = {};
  for (const [param, named] of Object.entries(slots)) {
    out[param] = {};
    for (const [slot, values] of Object.entries(named)) out[param]![slot] = values.slice();
  }
  return out;
}

export function checkStateKind(
  state: OptimizerState,
  kind: OptimizerState['kind'],
  slotNames: readonly string[],
): void {
  if (state.kind !== kind) throw new Error(`optimizer state is for ${state.kind}, not ${kind}`);
  for (const [param, named] of Object.entries(state.slots)) {
    for (const slot of slotNames) {
      if (!(named[slot] instanceof Float32Array))
        throw new Error(`optimizer state for "${param}" lacks slot ${slot}`);
    }
    if (!Number.isInteger(state.steps[param]))
      throw new Error(`optimizer state for "${param}" lacks its step count`);
  }
}
