// Convolution (N-d, stride/pad/dilation/groups) and the transposed convolution its input gradient uses.
import type { Graph, Tensor, TensorInfo } from '../ir/graph';
import type { ConvAttrs } from '../ir/builder';
import { type Dim, formatShape } from '../ir/shape';
import { type LowerContext, type OpDef, attr } from './types';
import { sameDtype } from './util';

interface ConvTransposeAttrs extends ConvAttrs {
  outputPadding: number[];
}

function spatialOf(x: TensorInfo, w: TensorInfo, what: string): { k: number[]; spatial: number[] } {
  const n = x.shape.length - 2;
  if (n < 1 || w.shape.length !== n + 2)
    throw new Error(`${what}: x ${formatShape(x.shape)} and w ${formatShape(w.shape)} ranks do not match`);
  const k = w.shape.slice(2);
  const spatial = x.shape.slice(2);
  if (![...k, ...spatial].every((d) => typeof d === 'number'))
    throw new Error(`${what}: spatial and kernel dims must be static`);
  return { k: k as number[], spatial: spatial as number[] };
}

function checkChannels(have: Dim, perGroup: Dim, group: number, what: string): void {
  if (typeof have === 'number' && typeof perGroup === 'number' && have !== perGroup * group) {
    throw new Error(`${what}: ${have} input channels do not match weight ${perGroup} × ${group} groups`);
  }
}

function convAttributes(a: ConvAttrs, k: number[]) {
  return {
    kernel_shape: attr.ints(k),
    strides: attr.ints(a.strides),
    pads: attr.ints(a.pads),
    dilations: attr.ints(a.dilations),
    group: attr.int(a.group),
  };
}

function withBias(inputs: readonly TensorInfo[], outChannels: Dim): void {
  const b = inputs[2];
  if (b && (b.shape.length !== 1 || b.shape[0] !== outChannels))
    throw new Error(`bias ${formatShape(b.shape)} must be [${outChannels}]`);
}

const conv = {
  type: 'Conv',
  infer: (inputs, a) => {
    const [x, w] = inputs;
    const { k, spatial } = spatialOf(x!, w!, 'Conv');
    checkChannels(x!.shape[1]!, w!.shape[1]!, a.group, 'Conv');
    withBias(inputs, w!.shape[0]!);
    const n = spatial.length;
    const out = spatial.map((size, i) => {
      const span = (k[i]! - 1) * a.dilations[i]! + 1;
      const o = Math.floor((size + a.pads[i]! + a.pads[i + n]! - span) / a.strides[i]!) + 1;
      if (o < 1) throw new Error(`spatial axis ${i}: kernel span ${span} exceeds padded size`);
      return o;
    });
    return { dtype: sameDtype(inputs), shape: [x!.shape[0]!, w!.shape[0]!, ...out] };
  },
  lower: (ctx: LowerContext, { inputs, attrs, inputInfo, out }) => {
    ctx.node('Conv', inputs, convAttributes(attrs, inputInfo[1]!.shape.slice(2) as number[]), {
      output: out,
    });
  },
  grad: (g, { inputs: [x, w, b], output, attrs, dy, needs }) => [
    needs[0] ? convInputGrad(g, x!, w!, output, dy, attrs) : undefined,
    needs[1] ? convWeightGrad(g, x!, w!, dy, attrs) : undefined,
    b && needs[2] ? g.sum(dy, spatialAndBatch(dy)) : undefined,
  ],
} as const satisfies OpDef<ConvAttrs>;

function spatialAndBatch(t: Tensor): number[] {
  return [0, ...Array.from({ length: t.rank - 2 }, (_, i) => i + 2)];
}

/** dX = ConvTranspose(dY, W) with output padding chosen so the result has exactly X's spatial size. */
function convInputGrad(g: Graph, x: Tensor, w: Tensor, y: Tensor, dy: Tensor, a: ConvAttrs): Tensor {
  const n = x.rank - 2;
  const outputPadding = Array.from({ length: n }, (_, i) => {
    const size = x.shape[i + 2] as number;
    const k = w.shape[i + 2] as number;
    const produced =
      a.strides[i]! * ((y.shape[i + 2] as number) - 1) +
      (k - 1) * a.dilations[i]! +
      1 -
      a.pads[i]! -
      a.pads[i + n]!;
    return size - produced;
  });
  return g.op('ConvTranspose', [dy, w], { ...a, outputPadding } satisfies ConvTransposeAttrs);
}

/**
 * dW[m, c, κ] = Σₙ Σₒ dY[n, m, o] · Xpad[n, c, o·s + κ·d]: a convolution over X with batch and channels
 * swapped, dY as the kernel, stride d and dilation s. With groups, X's channels are regrouped as
 * [C/g, g·N] so group i of the convolution sees exactly group i's input channels.
 */
function convWeightGrad(g: Graph, x: Tensor, w: Tensor, dy: Tensor, a: ConvAttrs): Tensor {
  const n = x.rank - 2;
  const spatialAxes = Array.from({ length: n }, (_, i) => i + 2);
  const spatial = x.shape.slice(2) as number[];
  let xt: Tensor;
  if (a.group === 1) {
    xt = g.transpose(x, [1, 0, ...spatialAxes]);
  } else {
    const c = x.dim(1);
    if (typeof c !== 'number')
      throw new Error('Conv weight gradient with groups needs a static channel count');
    const grouped = g.reshape(x, [0, a.group, c / a.group, ...spatial]);
    const swapped = g.transpose(grouped, [2, 1, 0, ...spatialAxes.map((s) => s + 1)]);
    xt = g.reshape(swapped, [c / a.group, -1, ...spatial]);
  }
  const dyt = g.transpose(dy, [1, 0, ...spatialAxes]);
  let dw = g.conv(xt, dyt, undefined, {
    stride: a.dilations,
    dilation: a.strides,
    pad: a.pads,
    groups: a.group,
  });
  const k = w.shape.slice(2) as number[];
  if (dw.shape.slice(2).some((d, i) => d !== k[i]))
    dw = g.slice(
      dw,
      k.map(() => 0),
      k,
      spatialAxes,
    );
  return g.transpose(dw, [1, 0, ...spatialAxes]);
}

const convTranspose = {
  type: 'ConvTranspose',
  infer: (inputs, a) => {
    const [x, w] = inputs;
    const { k, spatial } = spatialOf(x!, w!, 'ConvTranspose');
    const cin = w!.shape[0]!;
    if (typeof x!.shape[1] === 'number' && x!.shape[1] !== cin)
      throw new Error(`input has ${x!.shape[1]} channels, weight expects ${cin}`);
    const n = spatial.length;
    const out = spatial.map(
      (size, i) =>
        a.strides[i]! * (size - 1) +
        a.outputPadding[i]! +
        (k[i]! - 1) * a.dilations[i]! +
        1 -
        a.pads[i]! -
        a.pads[i + n]!,
    );
    return { dtype: sameDtype(inputs), shape: [x!.shape[0]!, (w!.shape[1] as number) * a.group, ...out] };
  },
  lower: (ctx, { inputs, attrs, inputInfo, out }) => {
    const attributes = {
      ...convAttributes(attrs, inputInfo[1]!.shape.slice(2) as number[]),
      output_padding: attr.ints(attrs.outputPadding),
    };
    ctx.node('ConvTranspose', inputs, attributes, { output: out });
  },
} as const satisfies OpDef<ConvTransposeAttrs>;

export const convOps = [conv, convTranspose] as const;
