// Helpers shared by op definitions.
import type { Graph, Tensor, TensorInfo } from '../ir/graph';
import { type DType, type Shape, formatShape, isFloat, isStatic } from '../ir/shape';
import type { LowerArgs, LowerContext, OpDef } from './types';

/** Reshapes to a shape that may hold symbolic dims: static when possible, else through the runtime shape of `ref`. */
export function reshapeTo(g: Graph, t: Tensor, ref: Tensor): Tensor {
  if (sameShape(t.shape, ref.shape)) return t;
  if (isStatic(ref.shape)) return g.reshape(t, ref.shape);
  const copyable = ref.shape.every((d, i) => typeof d === 'number' || t.shape[i] === d);
  if (copyable)
    return g.reshape(
      t,
      ref.shape.map((d) => (typeof d === 'number' ? d : 0)),
    );
  return g.reshapeLike(t, ref);
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export function requireFloat(x: TensorInfo, what: string): void {
  if (!isFloat(x.dtype)) throw new Error(`${what} needs a float input, got ${x.dtype}`);
}

export function sameDtype(inputs: readonly TensorInfo[]): DType {
  const d = inputs[0]!.dtype;
  for (const t of inputs)
    if (t.dtype !== d) throw new Error(`operand dtypes differ: ${inputs.map((i) => i.dtype).join(', ')}`);
  return d;
}

export function requireRank(x: TensorInfo, min: number, what: string): void {
  if (x.shape.length < min) throw new Error(`${what} needs rank ≥ ${min}, got ${formatShape(x.shape)}`);
}

/** Lowers to one ONNX node of the same inputs. */
export function direct(onnxOp: string) {
  return (ctx: LowerContext, a: LowerArgs<unknown>): void => {
    ctx.node(onnxOp, a.inputs, {}, { output: a.out });
  };
}

/** A float → float op that keeps its input's shape. */
export function unaryOp<T extends string>(
  type: T,
  lower: OpDef['lower'],
  grad?: (g: Graph, x: Tensor, y: Tensor, dy: Tensor) => Tensor,
): OpDef<Record<string, never>, T> {
  return {
    type,
    infer: ([x]) => {
      requireFloat(x!, type);
      return { dtype: x!.dtype, shape: x!.shape };
    },
    lower,
    grad: grad ? (g, a) => [grad(g, a.inputs[0]!, a.output, a.dy)] : undefined,
  };
}
