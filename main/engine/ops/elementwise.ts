// Element-wise arithmetic, activations and comparisons (numpy broadcasting).
import type { Graph, Tensor, TensorInfo } from '../ir/graph';
import { broadcastShapes, isFloat } from '../ir/shape';
import { OnnxDataType } from '../onnx/proto';
import { type OpDef, attr } from './types';
import { direct, sameDtype, unaryOp } from './util';

const SQRT1_2 = Math.SQRT1_2;
const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/** A broadcasting binary op: its gradients keep the broadcast shape; autodiff sums each to its input's. */
function binary<T extends string>(
  type: T,
  grad?: (
    g: Graph,
    a: Tensor,
    b: Tensor,
    y: Tensor,
    dy: Tensor,
    needs: readonly boolean[],
  ) => (Tensor | undefined)[],
): OpDef<Record<string, never>, T> {
  return {
    type,
    infer: (inputs) => ({
      dtype: sameDtype(inputs),
      shape: broadcastShapes(inputs[0]!.shape, inputs[1]!.shape),
    }),
    lower: direct(type),
    grad: grad && ((g, { inputs: [a, b], output, dy, needs }) => grad(g, a!, b!, output, dy, needs)),
  };
}

function comparison<T extends string>(type: T): OpDef<Record<string, never>, T> {
  return {
    type,
    infer: (inputs) => {
      sameDtype(inputs);
      return { dtype: 'bool', shape: broadcastShapes(inputs[0]!.shape, inputs[1]!.shape) };
    },
    lower: direct(type),
  };
}

/** dy · σ'-style product helper: x·σ(kx) has derivative s + k·x·s·(1 − s). */
function swishGrad(g: Graph, x: Tensor, dy: Tensor, k: number): Tensor {
  const s = g.sigmoid(k === 1 ? x : g.mul(x, k));
  const ds = g.mul(g.mul(g.mul(x, k), s), g.sub(1, s));
  return g.mul(dy, g.add(s, ds));
}

export const elementwiseOps = [
  binary('Add', (_g, _a, _b, _y, dy) => [dy, dy]),
  binary('Sub', (g, _a, _b, _y, dy, needs) => [dy, needs[1] ? g.neg(dy) : undefined]),
  binary('Mul', (g, a, b, _y, dy, needs) => [
    needs[0] ? g.mul(dy, b) : undefined,
    needs[1] ? g.mul(dy, a) : undefined,
  ]),
  binary('Div', (g, _a, b, y, dy, needs) => [
    needs[0] ? g.div(dy, b) : undefined,
    needs[1] ? g.neg(g.div(g.mul(dy, y), b)) : undefined,
  ]),
  // d(aᵇ)/da = b·aᵇ⁻¹ ; d(aᵇ)/db = aᵇ·ln a (defined for a > 0).
  binary('Pow', (g, a, b, y, dy, needs) => [
    needs[0] ? g.mul(dy, g.mul(b, g.pow(a, g.sub(b, 1)))) : undefined,
    needs[1] ? g.mul(dy, g.mul(y, g.log(a))) : undefined,
  ]),
  comparison('Equal'),
  comparison('Greater'),
  comparison('Less'),
  {
    type: 'Where',
    infer: ([c, a, b]) => {
      if (c!.dtype !== 'bool') throw new Error(`condition must be bool, got ${c!.dtype}`);
      return {
        dtype: sameDtype([a!, b!]),
        shape: broadcastShapes(c!.shape, broadcastShapes(a!.shape, b!.shape)),
      };
    },
    lower: direct('Where'),
    grad: (g, { inputs: [c], dy, needs }) => {
      const zero = g.scalar(0, dy.dtype);
      return [
        undefined,
        needs[1] ? g.where(c!, dy, zero) : undefined,
        needs[2] ? g.where(c!, zero, dy) : undefined,
      ];
    },
  } as const satisfies OpDef,
  unaryOp('Neg', direct('Neg'), (g, _x, _y, dy) => g.neg(dy)),
  // Where instead of Sign: the WebGPU EP has no Sign kernel.
  unaryOp('Abs', direct('Abs'), (g, x, _y, dy) => g.where(g.less(x, 0), g.neg(dy), dy)),
  unaryOp('Sign', direct('Sign')),
  unaryOp('Sqrt', direct('Sqrt'), (g, _x, y, dy) => g.div(g.mul(dy, 0.5), y)),
  unaryOp('Exp', direct('Exp'), (g, _x, y, dy) => g.mul(dy, y)),
  unaryOp('Log', direct('Log'), (g, x, _y, dy) => g.div(dy, x)),
  unaryOp('Sigmoid', direct('Sigmoid'), (g, _x, y, dy) => g.mul(dy, g.mul(y, g.sub(1, y)))),
  unaryOp('Tanh', direct('Tanh'), (g, _x, y, dy) => g.mul(dy, g.sub(1, g.mul(y, y)))),
  unaryOp('Erf', direct('Erf'), (g, x, _y, dy) =>
    g.mul(dy, g.mul(g.exp(g.neg(g.mul(x, x))), TWO_OVER_SQRT_PI)),
  ),
  unaryOp('Sin', direct('Sin'), (g, x, _y, dy) => g.mul(dy, g.cos(x))),
  unaryOp('Cos', direct('Cos'), (g, x, _y, dy) => g.neg(g.mul(dy, g.sin(x)))),
  {
    type: 'Clip',
    infer: ([x]) => ({ dtype: x!.dtype, shape: x!.shape }),
    lower: (ctx, { inputs: [x], attrs, out }) => {
      ctx.node('Clip', [x!, ctx.float(attrs.min), ctx.float(attrs.max)], {}, { output: out });
    },
    // The gradient passes where x lies strictly inside [min, max].
    grad: (g, { inputs: [x], dy, attrs }) => [
      g.where(g.less(x!, attrs.min), 0, g.where(g.greater(x!, attrs.max), 0, dy)),
    ],
  } as const satisfies OpDef<{ min: number; max: number }>,
  unaryOp('Relu', direct('Relu'), (g, x, _y, dy) => g.where(g.greater(x, 0), dy, 0)),
  // GELU(x) = x·(1 + erf(x/√2))·0.5; opset 18 has no Gelu, so it lowers to Erf arithmetic, written exactly
  // as PyTorch's ONNX export writes it because onnxruntime's GeluFusion matches only that node pattern.
  unaryOp(
    'Gelu',
    (ctx, { inputs: [x], out }) => {
      const e = ctx.node('Erf', [ctx.node('Div', [x!, ctx.float(Math.SQRT2)])]);
      const xTimesCdf2 = ctx.node('Mul', [x!, ctx.node('Add', [e, ctx.float(1)])]);
      ctx.node('Mul', [xTimesCdf2, ctx.float(0.5)], {}, { output: out });
    },
    (g, x, _y, dy) => {
      const cdf = g.mul(g.add(g.erf(g.mul(x, SQRT1_2)), 1), 0.5);
      const pdf = g.mul(g.exp(g.mul(g.mul(x, x), -0.5)), INV_SQRT_2PI);
      return g.mul(dy, g.add(cdf, g.mul(x, pdf)));
    },
  ),
  unaryOp(
    'QuickGelu',
    (ctx, { inputs: [x], out }) => {
      ctx.node(
        'Mul',
        [x!, ctx.node('Sigmoid', [ctx.node('Mul', [x!, ctx.float(1.702)])])],
        {},
        { output: out },
      );
    },
    (g, x, _y, dy) => swishGrad(g, x, dy, 1.702),
  ),
  unaryOp(
    'Silu',
    (ctx, { inputs: [x], out }) => {
      ctx.node('Mul', [x!, ctx.node('Sigmoid', [x!])], {}, { output: out });
    },
    (g, x, _y, dy) => swishGrad(g, x, dy, 1),
  ),
  {
    type: 'Cast',
    infer: ([x], { to }: { to: TensorInfo['dtype'] }) => ({ dtype: to, shape: x!.shape }),
    lower: (ctx, { inputs, attrs, out }) => {
      ctx.node('Cast', inputs, { to: attr.int(OnnxDataType[ctx.onnxType(attrs.to)]) }, { output: out });
    },
    grad: (g, { inputs: [x], dy }) => [isFloat(x!.dtype) ? g.cast(dy, x!.dtype) : undefined],
  } as const satisfies OpDef<{ to: TensorInfo['dtype'] }>,
] as const;
