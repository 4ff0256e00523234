// Data movement: reshape, transpose, slice, concat, gather, (un)squeeze, expand, pad, nearest upsampling.
import type { Graph, Tensor, TensorInfo } from '../ir/graph';
import { type Dim, broadcastShapes, formatShape, isStatic, resolveReshape, staticSize } from '../ir/shape';
import { type OpDef, attr } from './types';
import { reshapeTo } from './util';

const INT64_MAX_SAFE = Number.MAX_SAFE_INTEGER;

const reshape = {
  type: 'Reshape',
  infer: ([x], { shape }) => ({ dtype: x!.dtype, shape: resolveReshape(x!.shape, shape) }),
  lower: (ctx, { inputs: [x], attrs, out }) => {
    ctx.node('Reshape', [x!, ctx.i64(attrs.shape)], {}, { output: out });
  },
  grad: (g, { inputs: [x], dy }) => [reshapeTo(g, dy, x!)],
} as const satisfies OpDef<{ shape: number[] }>;

const reshapeLike = {
  type: 'ReshapeLike',
  infer: ([x, ref]) => {
    if (isStatic(x!.shape) && isStatic(ref!.shape) && staticSize(x!.shape) !== staticSize(ref!.shape)) {
      throw new Error('element counts differ');
    }
    return { dtype: x!.dtype, shape: ref!.shape };
  },
  lower: (ctx, { inputs: [x, ref], inputInfo, out }) => {
    ctx.node('Reshape', [x!, ctx.shapeOf(ref!, inputInfo[1]!.shape)], {}, { output: out });
  },
  grad: (g, { inputs: [x], dy }) => [reshapeTo(g, dy, x!), undefined],
} as const satisfies OpDef;

const transpose = {
  type: 'Transpose',
  infer: ([x], { perm }) => {
    const sorted = [...perm].sort((a, b) => a - b);
    if (perm.length !== x!.shape.length || sorted.some((p, i) => p !== i))
      throw new Error(`perm [${perm}] is not a permutation of rank ${x!.shape.length}`);
    return { dtype: x!.dtype, shape: perm.map((p) => x!.shape[p]!) };
  },
  lower: (ctx, { inputs, attrs, out }) => {
    ctx.node('Transpose', inputs, { perm: attr.ints(attrs.perm) }, { output: out });
  },
  grad: (g, { dy, attrs: { perm } }) => {
    const inverse = new Array<number>(perm.length);
    perm.forEach((p, i) => (inverse[p] = i));
    return [g.transpose(dy, inverse)];
  },
} as const satisfies OpDef<{ perm: number[] }>;

interface SliceAttrs {
  starts: number[];
  ends: number[];
  axes: number[];
}

/** Clamped [begin, end) of a step-1 slice on a static dim, as ONNX resolves it. */
function sliceRange(dim: Dim, start: number, end: number): [number, number] | undefined {
  if (typeof dim !== 'number') return start === 0 && end >= 2 ** 31 - 1 ? undefined : [NaN, NaN];
  const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + dim : v, 0), dim);
  const b = clamp(start);
  return [b, Math.max(b, clamp(end))];
}

const slice = {
  type: 'Slice',
  infer: ([x], { starts, ends, axes }) => {
    if (starts.length !== ends.length || starts.length !== axes.length)
      throw new Error('starts, ends and axes differ in length');
    const shape = [...x!.shape];
    axes.forEach((a, i) => {
      const range = sliceRange(shape[a]!, starts[i]!, ends[i]!);
      if (range && Number.isNaN(range[0])) throw new Error(`symbolic axis ${a} can only be kept whole`);
      if (range) shape[a] = range[1] - range[0];
    });
    return { dtype: x!.dtype, shape };
  },
  lower: (ctx, { inputs: [x], attrs, out }) => {
    const ends = attrs.ends.map((e) => Math.min(e, INT64_MAX_SAFE));
    ctx.node('Slice', [x!, ctx.i64(attrs.starts), ctx.i64(ends), ctx.i64(attrs.axes)], {}, { output: out });
  },
  // The gradient is dy zero-padded back to the input's extent.
  grad: (g, { inputs: [x], dy, attrs: { starts, ends, axes } }) => {
    const pads = new Array<number>(2 * x!.rank).fill(0);
    axes.forEach((a, i) => {
      const range = sliceRange(x!.shape[a]!, starts[i]!, ends[i]!);
      if (!range) return;
      pads[a] = range[0];
      pads[a + x!.rank] = (x!.shape[a] as number) - range[1];
    });
    return [pads.some((p) => p > 0) ? g.pad(dy, pads) : dy];
  },
} as const satisfies OpDef<SliceAttrs>;

const concat = {
  type: 'Concat',
  infer: (inputs, { axis }) => {
    const first = inputs[0]!;
    let total = 0;
    for (const t of inputs) {
      if (t.dtype !== first.dtype || t.shape.length !== first.shape.length)
        throw new Error('operands differ in dtype or rank');
      t.shape.forEach((d, i) => {
        if (i !== axis && d !== first.shape[i]) throw new Error(`operands differ on axis ${i}`);
      });
      const d = t.shape[axis];
      if (typeof d !== 'number') throw new Error(`concat axis ${axis} must be static`);
      total += d;
    }
    const shape = [...first.shape];
    shape[axis] = total;
    return { dtype: first.dtype, shape };
  },
  lower: (ctx, { inputs, attrs, out }) => {
    ctx.node('Concat', inputs, { axis: attr.int(attrs.axis) }, { output: out });
  },
  grad: (g, { inputs, dy, attrs: { axis }, needs }) => {
    let start = 0;
    return inputs.map((t, i) => {
      const size = t.shape[axis] as number;
      start += size;
      return needs[i] ? g.slice(dy, [start - size], [start], [axis]) : undefined;
    });
  },
} as const satisfies OpDef<{ axis: number }>;

const gather = {
  type: 'Gather',
  infer: ([x, idx], { axis }) => {
    if (idx!.dtype !== 'i32' && idx!.dtype !== 'i64')
      throw new Error(`indices must be i32 or i64, got ${idx!.dtype}`);
    return {
      dtype: x!.dtype,
      shape: [...x!.shape.slice(0, axis), ...idx!.shape, ...x!.shape.slice(axis + 1)],
    };
  },
  lower: (ctx, { inputs, attrs, out }) => {
    ctx.node('Gather', inputs, { axis: attr.int(attrs.axis) }, { output: out });
  },
  // Scatter-add as a one-hot matrix product: no int64 and no ScatterND, so every EP runs it.
  grad: (g, { inputs: [x, idx], dy, attrs: { axis } }) => [gatherGrad(g, x!, idx!, dy, axis), undefined],
} as const satisfies OpDef<{ axis: number }>;

/**
 * With x viewed as [P, V, Q] around the gathered axis and dy as [P, K, Q] (K = index count):
 * dx = onehot(idx, V)ᵀ · dy, a [V, K] × [P, K, Q] batched product.
 */
function gatherGrad(g: Graph, x: Tensor, idx: Tensor, dy: Tensor, axis: number): Tensor {
  const rows = x.dim(axis);
  if (typeof rows !== 'number') throw new Error('Gather gradient needs a static size on the gathered axis');
  const before = staticSize(x.shape.slice(0, axis), 'Gather leading dims');
  const after = staticSize(x.shape.slice(axis + 1), 'Gather trailing dims');
  const arange = g.constant(
    Array.from({ length: rows }, (_, i) => i),
    [rows],
    idx.dtype,
  );
  const oneHot = g.reshape(g.cast(g.equal(g.unsqueeze(idx, [-1]), arange), dy.dtype), [-1, rows]);
  const flatDy = g.reshape(dy, [before, -1, after]);
  return reshapeTo(g, g.matmul(g.transpose(oneHot, [1, 0]), flatDy), x);
}

const unsqueeze = {
  type: 'Unsqueeze',
  infer: ([x], { axes }) => {
    const shape: Dim[] = [...x!.shape];
    for (const a of axes) shape.splice(a, 0, 1);
    return { dtype: x!.dtype, shape };
  },
  lower: (ctx, { inputs: [x], attrs, out }) => {
    ctx.node('Unsqueeze', [x!, ctx.i64(attrs.axes)], {}, { output: out });
  },
  grad: (g, { dy, attrs }) => [g.squeeze(dy, attrs.axes)],
} as const satisfies OpDef<{ axes: number[] }>;

const squeeze = {
  type: 'Squeeze',
  infer: ([x], { axes }) => {
    for (const a of axes) if (x!.shape[a] !== 1) throw new Error(`axis ${a} has size ${x!.shape[a]}, not 1`);
    return { dtype: x!.dtype, shape: x!.shape.filter((_, i) => !axes.includes(i)) };
  },
  lower: (ctx, { inputs: [x], attrs, out }) => {
    ctx.node('Squeeze', [x!, ctx.i64(attrs.axes)], {}, { output: out });
  },
  grad: (g, { dy, attrs }) => [g.unsqueeze(dy, attrs.axes)],
} as const satisfies OpDef<{ axes: number[] }>;

const expand = {
  type: 'Expand',
  infer: ([x], { shape }) => ({ dtype: x!.dtype, shape: broadcastShapes(x!.shape, shape) }),
  lower: (ctx, { inputs: [x], attrs, out }) => {
    ctx.node('Expand', [x!, ctx.i64(attrs.shape)], {}, { output: out });
  },
  // dy as it is: autodiff sums it over the axes x was broadcast along.
  grad: (_g, { dy }) => [dy],
} as const satisfies OpDef<{ shape: number[] }>;

/** Broadcasts t to the runtime shape of `ref` (symbolic dims a static target cannot name). */
const expandLike = {
  type: 'ExpandLike',
  infer: ([t, ref]) => ({ dtype: t!.dtype, shape: broadcastShapes(t!.shape, ref!.shape) }),
  lower: (ctx, { inputs: [t, ref], inputInfo, out }) => {
    ctx.node('Expand', [t!, ctx.shapeOf(ref!, inputInfo[1]!.shape)], {}, { output: out });
  },
  grad: (_g, { dy }) => [dy, undefined],
} as const satisfies OpDef;

const pad = {
  type: 'Pad',
  infer: ([x], { pads }) => {
    const rank = x!.shape.length;
    if (pads.length !== 2 * rank || pads.some((p) => p < 0 || !Number.isInteger(p)))
      throw new Error(`pads [${pads}] must be ${2 * rank} non-negative integers`);
    const shape = x!.shape.map((d, i) => {
      const extra = pads[i]! + pads[i + rank]!;
      if (extra === 0) return d;
      if (typeof d !== 'number') throw new Error(`cannot pad symbolic axis ${i}`);
      return d + extra;
    });
    return { dtype: x!.dtype, shape };
  },
  lower: (ctx, { inputs: [x], attrs, out }) => {
    ctx.node('Pad', [x!, ctx.i64(attrs.pads)], { mode: attr.string('constant') }, { output: out });
  },
  grad: (g, { inputs: [x], dy, attrs: { pads } }) => {
    const axes = x!.shape.map((_, i) => i).filter((i) => pads[i]! + pads[i + x!.rank]! > 0);
    return [
      g.slice(
        dy,
        axes.map((a) => pads[a]!),
        axes.map((a) => pads[a]! + (x!.shape[a] as number)),
        axes,
      ),
    ];
  },
} as const satisfies OpDef<{ pads: number[] }>;

const upsampleNearest = {
  type: 'UpsampleNearest',
  infer: ([x], { scale }) => {
    if (x!.shape.length < 3 || !Number.isInteger(scale) || scale < 1)
      throw new Error(`needs rank ≥ 3 and an integer scale, got ${formatShape(x!.shape)} × ${scale}`);
    const [h, w] = x!.shape.slice(-2);
    if (typeof h !== 'number' || typeof w !== 'number') throw new Error('spatial dims must be static');
    return { dtype: x!.dtype, shape: [...x!.shape.slice(0, -2), h * scale, w * scale] };
  },
  lower: (ctx, { inputs: [x], attrs, inputInfo, out }) => {
    const rank = inputInfo[0]!.shape.length;
    if (ctx.precision === 'fp64') {
      // ORT's CPU Resize has no double kernel; the same result by broadcasting each pixel into an s×s block.
      lowerUpsampleByExpand(ctx, x!, inputInfo[0]!, attrs.scale, out);
      return;
    }
    const scales = ctx.f32([...new Array<number>(rank - 2).fill(1), attrs.scale, attrs.scale]);
    const attributes = {
      mode: attr.string('nearest'),
      coordinate_transformation_mode: attr.string('asymmetric'),
      nearest_mode: attr.string('floor'),
    };
    ctx.node('Resize', [x!, '', scales], attributes, { output: out });
  },
  // Each input pixel fed an s×s block: sum the blocks.
  grad: (g, { inputs: [x], dy, attrs: { scale } }) => {
    const [h, w] = x!.shape.slice(-2) as number[];
    const lead = new Array<number>(x!.rank - 2).fill(0);
    const blocks = g.reshape(dy, [...lead, h!, scale, w!, scale]);
    return [g.sum(blocks, [x!.rank - 1, x!.rank + 1])];
  },
} as const satisfies OpDef<{ scale: number }>;

function lowerUpsampleByExpand(
  ctx: Parameters<OpDef['lower']>[0],
  x: string,
  info: TensorInfo,
  scale: number,
  out: string,
): void {
  const rank = info.shape.length;
  const [h, w] = info.shape.slice(-2) as number[];
  const lead = new Array<number>(rank - 2).fill(0);
  const cells = ctx.node('Reshape', [x, ctx.i64([...lead, h!, 1, w!, 1])]);
  const blocks = ctx.node('Expand', [
    cells,
    ctx.i64([...new Array<number>(rank - 2).fill(1), h!, scale, w!, scale]),
  ]);
  ctx.node('Reshape', [blocks, ctx.i64([...lead, h! * scale, w! * scale])], {}, { output: out });
}

export const shapeOps = [
  reshape,
  reshapeLike,
  transpose,
  slice,
  concat,
  gather,
  unsqueeze,
  squeeze,
  expand,
  expandLike,
  pad,
  upsampleNearest,
] as const;
