// Reverse-mode automatic differentiation over the graph IR. The backward pass is built from the ops'
// gradient rules into the same graph, so one lowered model returns the loss and every gradient.
import { type CheckpointSegment, type Graph, type Tensor, isFloat } from './ir/graph';
import { broadcastAxes, formatShape, isStatic } from './ir/shape';
import { getOp } from './ops';

/** Values on a path from any of `wrt` (forward reachability). */
function dependsOn(g: Graph, wrt: readonly Tensor[], upTo: number): Set<number> {
  const deps = new Set(wrt.map((t) => t.id));
  for (const v of g.values.slice(0, upTo + 1)) {
    if (v.source.kind === 'op' && isFloat(v.dtype) && v.source.inputs.some((i) => deps.has(i.id)))
      deps.add(v.id);
  }
  return deps;
}

function sumAll(g: Graph, terms: readonly Tensor[]): Tensor {
  return terms.slice(1).reduce((acc, t) => g.add(acc, t), terms[0]!);
}

/** +0 computed from `t` (|0·max t|): a data dependency on t that, while t is finite, changes nothing. */
function zeroAfter(g: Graph, t: Tensor): Tensor {
  const everyAxis = t.shape.map((_, i) => i);
  return g.abs(g.mul(g.max(t, everyAxis), 0));
}

/**
 * Re-emits the op values of a checkpointed segment that its output depends on, from the segment's inputs,
 * for its gradient rules to use instead of the forward pass's values (which are then freed after their
 * forward uses). Activations entering the segment pass through x − |0·max(dy)| first: exact for every
 * x, signed zeros included, while dy is finite (a non-finite dy gives NaN gradients instead of ±∞), yet a
 * data dependency on the output's gradient, so the recomputation runs just before the segment's backward
 * and onnxruntime cannot merge it back into the forward pass (common-subexpression
 * elimination). Returns the recomputed values by original id.
 */
function recompute(g: Graph, segment: CheckpointSegment, dy: Tensor): Map<number, Tensor> {
  const inside = (t: Tensor) => t.id >= segment.start && t.id <= segment.end;
  const needed = new Set<number>();
  const stack: Tensor[] = [segment.output];
  while (stack.length) {
    const t = stack.pop()!;
    if (!inside(t) || needed.has(t.id) || t.source.kind !== 'op') continue;
    needed.add(t.id);
    stack.push(...t.source.inputs);
  }
  const zero = zeroAfter(g, dy);
  const barriers = new Map<number, Tensor>();
  const barrier = (t: Tensor): Tensor => {
    const activation = t.source.kind === 'op' || t.source.kind === 'input';
    if (!activation || !isFloat(t.dtype)) return t;
    let copy = barriers.get(t.id);
    if (!copy) barriers.set(t.id, (copy = g.sub(t, g.cast(zero, t.dtype))));
    return copy;
  };
  const copies = new Map<number, Tensor>();
  for (const id of [...needed].sort((a, b) => a - b)) {
    const source = g.values[id]!.source as Extract<Tensor['source'], { kind: 'op' }>;
    const inputs = source.inputs.map((t) => (inside(t) ? (copies.get(t.id) ?? t) : barrier(t)));
    copies.set(id, g.op(source.op, inputs, source.attrs));
  }
  return copies;
}

/**
 * Gradients of a scalar `loss` with respect to `wrt`. A value used several times accumulates the
 * contributions of each use; inputs with no path to the loss get zeros. Checkpointed segments
 * (Graph.checkpoint) are recomputed when the walk reaches their output.
 */
export function gradients(g: Graph, loss: Tensor, wrt: readonly Tensor[]): Tensor[] {
  if (loss.graph !== g) throw new Error('loss belongs to another graph');
  if (!isStatic(loss.shape) || loss.shape.some((d) => d !== 1))
    throw new Error(`loss must be a scalar, got ${formatShape(loss.shape)}`);
  for (const t of wrt)
    if (!isFloat(t.dtype)) throw new Error(`cannot differentiate with respect to ${t.dtype} value ${t}`);

  const deps = dependsOn(g, wrt, loss.id);
  const pending = new Map<number, Tensor[]>([[loss.id, [g.constant([1], loss.shape as number[])]]]);
  const segmentByOutput = new Map(g.segments.map((s) => [s.output.id, s]));
  const recomputed = new Map<number, Tensor>();
  const current = (t: Tensor) => recomputed.get(t.id) ?? t;
  const contribute = (t: Tensor, grad: Tensor) => {
    const list = pending.get(t.id);
    if (list) list.push(grad);
    else pending.set(t.id, [grad]);
  };

  for (let id = loss.id; id >= 0; id--) {
    const v = g.values[id]!;
    const terms = pending.get(id);
    if (!terms || v.source.kind !== 'op' || !deps.has(id)) continue;
    const { op, inputs, attrs } = v.source;
    const needs = inputs.map((i) => deps.has(i.id) && isFloat(i.dtype));
    if (!needs.some(Boolean)) continue;
    const def = getOp(op);
    if (!def.grad)
      throw new Error(`op ${op} has no gradient rule, but ${v} lies between the loss and a trainable input`);
    const dy = sumAll(g, terms);
    pending.set(id, [dy]);
    const segment = segmentByOutput.get(id);
    if (segment) for (const [original, copy] of recompute(g, segment, dy)) recomputed.set(original, copy);
    const grads = def.grad(g, { inputs: inputs.map(current), output: current(v), attrs, dy, needs });
    inputs.forEach((input, i) => {
      const grad = grads[i];
      if (needs[i] && grad) contribute(input, unbroadcast(g, grad, input, op));
    });
  }

  return wrt.map((t) => {
    const terms = pending.get(t.id);
    if (terms) return sumAll(g, terms);
    if (!isStatic(t.shape))
      throw new Error(`${t} does not affect the loss and has a symbolic shape: no zero gradient to emit`);
    return g.constant(new Float32Array(t.shape.reduce((a, b) => a * b, 1)), t.shape, t.dtype);
  });
}

/**
 * Sums a gradient over the axes its input was broadcast along, back to the input's shape. Gradient rules
 * return gradients in the broadcast shape they computed them in; this is the one place that reduces them.
 */
function unbroadcast(g: Graph, grad: Tensor, input: Tensor, op: string): Tensor {
  const lead = grad.rank - input.rank;
  const reducible = lead >= 0 && input.shape.every((d, i) => d === 1 || d === grad.shape[i + lead]);
  if (!reducible) {
    throw new Error(
      `gradient rule of ${op} produced ${formatShape(grad.shape)} for input ${formatShape(input.shape)}`,
    );
  }
  const { leading, kept } = broadcastAxes(input.shape, grad.shape);
  let reduced = grad;
  if (leading.length) reduced = g.sum(reduced, leading, false);
  if (kept.length) reduced = g.sum(reduced, kept, true);
  return reduced;
}

export interface TrainingOutputs {
  loss: Tensor;
  grads: Record<string, Tensor>;
}

/**
 * Makes `g` a training step: outputs `loss` and `grad/<name>` for each trainable input (all of the
 * graph's by default). Forward outputs already named on the graph stay.
 */
export function addTrainingOutputs(
  g: Graph,
  loss: Tensor,
  trainable: readonly Tensor[] = g.trainables(),
): TrainingOutputs {
  const names = trainable.map((t) => {
    if (t.source.kind !== 'input') throw new Error(`${t} is not a graph input; only inputs can be trained`);
    return t.source.name;
  });
  const grads = gradients(g, loss, trainable);
  g.output('loss', loss);
  const byName: Record<string, Tensor> = {};
  names.forEach((name, i) => {
    byName[name] = g.output(`grad/${name}`, grads[i]!);
  });
  return { loss, grads: byName };
}
