// Softmax and normalisations. Their lowerings use the native ONNX ops; their gradients are closed-form
// rules rather than a differentiation of the decomposed arithmetic.
import type { Graph, Tensor } from '../ir/graph';
import { formatShape, isStatic } from '../ir/shape';
import { type OpDef, attr } from './types';
import { requireFloat, reshapeTo, sameDtype, sameShape } from './util';

interface NormAttrs {
  axis: number;
  eps: number;
}

interface GroupAttrs {
  groups: number;
  eps: number;
}

const softmax = {
  type: 'Softmax',
  fp32: true,
  infer: ([x]) => {
    requireFloat(x!, 'Softmax');
    return { dtype: x!.dtype, shape: x!.shape };
  },
  lower: (ctx, { inputs, attrs, out }) => {
    ctx.node('Softmax', inputs, { axis: attr.int(attrs.axis) }, { output: out });
  },
  // dx = y ⊙ (dy − Σ(dy ⊙ y)) along the axis.
  grad: (g, { output: y, dy, attrs }) => [g.mul(y, g.sub(dy, g.sum(g.mul(dy, y), [attrs.axis], true)))],
} as const satisfies OpDef<{ axis: number }>;

const logSoftmax = {
  type: 'LogSoftmax',
  fp32: true,
  infer: ([x]) => {
    requireFloat(x!, 'LogSoftmax');
    return { dtype: x!.dtype, shape: x!.shape };
  },
  lower: (ctx, { inputs: [x], attrs, out }) => {
    if (ctx.ep === 'cpu') {
      ctx.node('LogSoftmax', [x!], { axis: attr.int(attrs.axis) }, { output: out });
      return;
    }
    // The WebGPU EP has no LogSoftmax kernel: z − log Σ exp z with z = x − max x, all native there.
    const axes = ctx.i64([attrs.axis]);
    const z = ctx.node('Sub', [x!, ctx.node('ReduceMax', [x!, axes], { keepdims: attr.int(1) })]);
    const lse = ctx.node('Log', [
      ctx.node('ReduceSum', [ctx.node('Exp', [z]), axes], { keepdims: attr.int(1) }),
    ]);
    ctx.node('Sub', [z, lse], {}, { output: out });
  },
  // dx = dy − softmax(x) · Σ dy along the axis.
  grad: (g, { output: y, dy, attrs }) => [g.sub(dy, g.mul(g.exp(y), g.sum(dy, [attrs.axis], true)))],
} as const satisfies OpDef<{ axis: number }>;

/**
 * Gradient of x̂ = (x − μ)·rstd over `axes` given dx̂:
 * dx = rstd · (dx̂ − mean(dx̂) − x̂ · mean(dx̂ ⊙ x̂)). Returns dx and x̂ (the affine gradients need it).
 */
function normalizeGrad(
  g: Graph,
  x: Tensor,
  dxhat: Tensor,
  axes: number[],
  eps: number,
): { dx: Tensor; xhat: Tensor } {
  const xc = g.sub(x, g.mean(x, axes, true));
  const rstd = g.div(1, g.sqrt(g.add(g.mean(g.mul(xc, xc), axes, true), eps)));
  const xhat = g.mul(xc, rstd);
  const inner = g.sub(
    g.sub(dxhat, g.mean(dxhat, axes, true)),
    g.mul(xhat, g.mean(g.mul(dxhat, xhat), axes, true)),
  );
  return { dx: g.mul(rstd, inner), xhat };
}

const layerNorm = {
  type: 'LayerNorm',
  fp32: true,
  infer: (inputs, { axis }) => {
    const x = inputs[0]!;
    requireFloat(x, 'LayerNorm');
    const normalized = x.shape.slice(axis);
    for (const p of inputs.slice(1)) {
      if (!sameShape(p.shape, normalized))
        throw new Error(`weight/bias ${formatShape(p.shape)} must be ${formatShape(normalized)}`);
    }
    return { dtype: sameDtype(inputs), shape: x.shape };
  },
  lower: (ctx, { inputs, attrs, inputInfo, out }) => {
    const normalized = inputInfo[0]!.shape.slice(attrs.axis);
    if (!isStatic(normalized)) throw new Error(`LayerNorm over symbolic dims ${formatShape(normalized)}`);
    const scale = inputs[1] ?? ctx.filled(1, normalized);
    const attributes = { axis: attr.int(attrs.axis), epsilon: attr.float(attrs.eps) };
    ctx.node('LayerNormalization', [inputs[0]!, scale, ...inputs.slice(2)], attributes, { output: out });
  },
  grad: (g, { inputs: [x, w, b], dy, attrs, needs }) => {
    const axes = Array.from({ length: x!.rank - attrs.axis }, (_, i) => attrs.axis + i);
    const { dx, xhat } = normalizeGrad(g, x!, w ? g.mul(dy, w) : dy, axes, attrs.eps);
    return [
      needs[0] ? dx : undefined,
      w && needs[1] ? g.mul(dy, xhat) : undefined,
      b && needs[2] ? dy : undefined,
    ];
  },
} as const satisfies OpDef<NormAttrs>;

/**
 * Group normalisation without the affine part (the builder adds it as Mul/Add). Lowered as
 * Reshape [N, G, −1] → InstanceNormalization → Reshape, because the WebGPU EP has no GroupNormalization.
 */
const groupNormalize = {
  type: 'GroupNormalize',
  fp32: true,
  infer: ([x], { groups }) => {
    requireFloat(x!, 'GroupNorm');
    const c = x!.shape[1];
    if (x!.shape.length < 3 || typeof c !== 'number' || c % groups !== 0) {
      throw new Error(`GroupNorm needs [N, C, ...] with static C divisible by ${groups} groups`);
    }
    return { dtype: x!.dtype, shape: x!.shape };
  },
  lower: (ctx, { inputs: [x], attrs, inputInfo: [info], out }) => {
    const grouped = ctx.node('Reshape', [x!, ctx.i64([0, attrs.groups, -1])]);
    const scale = ctx.filled(1, [attrs.groups]);
    const bias = ctx.filled(0, [attrs.groups]);
    const normed = ctx.node('InstanceNormalization', [grouped, scale, bias], {
      epsilon: attr.float(attrs.eps),
    });
    ctx.node('Reshape', [normed, ctx.shapeOf(x!, info!.shape)], {}, { output: out });
  },
  grad: (g, { inputs: [x], dy, attrs }) => {
    const grouped = (t: Tensor) => g.reshape(t, [0, attrs.groups, -1]);
    const { dx } = normalizeGrad(g, grouped(x!), grouped(dy), [2], attrs.eps);
    return [reshapeTo(g, dx, x!)];
  },
} as const satisfies OpDef<GroupAttrs>;

export const normOps = [softmax, logSoftmax, layerNorm, groupNormalize] as const;
