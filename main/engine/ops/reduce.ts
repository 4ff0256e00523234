// Reductions. A reduction over no axes is the identity (ONNX ReduceSum with empty axes would reduce everything).
import type { Graph, Tensor } from '../ir/graph';
import type { Dim } from '../ir/shape';
import { type OpDef, attr } from './types';

interface ReduceAttrs {
  axes: number[];
  keepdims: boolean;
}

/** dy broadcast back over the reduced axes of x. */
function spread(g: Graph, x: Tensor, dy: Tensor, { axes, keepdims }: ReduceAttrs): Tensor {
  const kept = keepdims ? dy : g.unsqueeze(dy, axes);
  const target = x.shape.map((d, i) => (axes.includes(i) ? d : 1));
  if (target.some((d) => typeof d !== 'number')) return g.expandLike(kept, x);
  return g.expand(kept, target as number[]);
}

/** The number of elements each output averages: static when possible, else counted at run time. */
function reducedCount(g: Graph, x: Tensor, axes: number[]): Tensor | number {
  const dims: Dim[] = axes.map((a) => x.shape[a]!);
  if (dims.every((d) => typeof d === 'number')) return (dims as number[]).reduce((a, b) => a * b, 1);
  return g.sum(g.expandLike(g.scalar(1, x.dtype), x), axes, true);
}

function reduceOp<T extends string>(
  type: T,
  grad: (g: Graph, x: Tensor, y: Tensor, dy: Tensor, a: ReduceAttrs) => Tensor,
): OpDef<ReduceAttrs, T> {
  return {
    type,
    infer: ([x], { axes, keepdims }) => {
      const shape = keepdims
        ? x!.shape.map((d, i) => (axes.includes(i) ? 1 : d))
        : x!.shape.filter((_, i) => !axes.includes(i));
      return { dtype: x!.dtype, shape };
    },
    lower: (ctx, { inputs: [x], attrs, out }) => {
      if (attrs.axes.length === 0) ctx.node('Identity', [x!], {}, { output: out });
      else
        ctx.node(type, [x!, ctx.i64(attrs.axes)], { keepdims: attr.int(+attrs.keepdims) }, { output: out });
    },
    grad: (g, { inputs: [x], output, dy, attrs }) => [
      attrs.axes.length === 0 ? dy : grad(g, x!, output, dy, attrs),
    ],
  };
}

export const reduceOps = [
  reduceOp('ReduceSum', (g, x, _y, dy, a) => spread(g, x, dy, a)),
  reduceOp('ReduceMean', (g, x, _y, dy, a) => g.div(spread(g, x, dy, a), reducedCount(g, x, a.axes))),
  // The gradient goes to the maxima, split evenly between ties.
  reduceOp('ReduceMax', (g, x, y, dy, a) => {
    const yk = a.keepdims ? y : g.unsqueeze(y, a.axes);
    const mask = g.cast(g.equal(x, yk), dy.dtype);
    return g.div(g.mul(mask, spread(g, x, dy, a)), g.sum(mask, a.axes, true));
  }),
] as const;
