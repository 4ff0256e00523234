// The model-facing API: one method per op (and a few composites), so model code reads like PyTorch.
import type { OpType } from '../ops';
import type { Tensor } from './graph';
import type { DType, Dim } from './shape';
import { normAxis } from './shape';

export type Operand = Tensor | number;

export interface ConvOptions {
  stride?: number | readonly number[];
  /** Symmetric padding per spatial axis, or ONNX [begin..., end...]. */
  pad?: number | readonly number[];
  dilation?: number | readonly number[];
  groups?: number;
}

export interface GemmOptions {
  transA?: boolean;
  transB?: boolean;
  alpha?: number;
  beta?: number;
}

export interface AttentionOptions {
  /** Added to the scores before softmax (0 keeps, −∞/−1e4 masks); broadcast against [.., Lq, Lk]. */
  mask?: Tensor;
  /** Defaults to 1/√d. */
  scale?: number;
}

export abstract class OpBuilder {
  abstract op(type: OpType, inputs: readonly Tensor[], attrs?: unknown): Tensor;
  abstract scalar(value: number, dtype?: DType): Tensor;

  private lift(a: Operand, like: Operand): Tensor {
    if (typeof a !== 'number') return a;
    if (typeof like === 'number') throw new Error('at least one operand must be a tensor');
    return this.scalar(a, like.dtype);
  }

  private binary(type: OpType, a: Operand, b: Operand): Tensor {
    return this.op(type, [this.lift(a, b), this.lift(b, a)]);
  }

  add(a: Operand, b: Operand): Tensor {
    return this.binary('Add', a, b);
  }
  sub(a: Operand, b: Operand): Tensor {
    return this.binary('Sub', a, b);
  }
  mul(a: Operand, b: Operand): Tensor {
    return this.binary('Mul', a, b);
  }
  div(a: Operand, b: Operand): Tensor {
    return this.binary('Div', a, b);
  }
  pow(a: Operand, b: Operand): Tensor {
    return this.binary('Pow', a, b);
  }
  equal(a: Operand, b: Operand): Tensor {
    return this.binary('Equal', a, b);
  }
  greater(a: Operand, b: Operand): Tensor {
    return this.binary('Greater', a, b);
  }
  less(a: Operand, b: Operand): Tensor {
    return this.binary('Less', a, b);
  }
  where(cond: Tensor, a: Operand, b: Operand): Tensor {
    return this.op('Where', [cond, this.lift(a, b), this.lift(b, a)]);
  }

  neg(x: Tensor): Tensor {
    return this.op('Neg', [x]);
  }
  abs(x: Tensor): Tensor {
    return this.op('Abs', [x]);
  }
  sign(x: Tensor): Tensor {
    return this.op('Sign', [x]);
  }
  sqrt(x: Tensor): Tensor {
    return this.op('Sqrt', [x]);
  }
  exp(x: Tensor): Tensor {
    return this.op('Exp', [x]);
  }
  log(x: Tensor): Tensor {
    return this.op('Log', [x]);
  }
  sigmoid(x: Tensor): Tensor {
    return this.op('Sigmoid', [x]);
  }
  tanh(x: Tensor): Tensor {
    return this.op('Tanh', [x]);
  }
  erf(x: Tensor): Tensor {
    return this.op('Erf', [x]);
  }
  sin(x: Tensor): Tensor {
    return this.op('Sin', [x]);
  }
  cos(x: Tensor): Tensor {
    return this.op('Cos', [x]);
  }
  /** Clamps to [min, max]. */
  clip(x: Tensor, min: number, max: number): Tensor {
    if (!(min <= max)) throw new Error(`clip: min ${min} exceeds max ${max}`);
    return this.op('Clip', [x], { min, max });
  }
  relu(x: Tensor): Tensor {
    return this.op('Relu', [x]);
  }
  /** Exact GELU: 0.5·x·(1 + erf(x/√2)). */
  gelu(x: Tensor): Tensor {
    return this.op('Gelu', [x]);
  }
  /** OpenAI CLIP's x·σ(1.702x). */
  quickGelu(x: Tensor): Tensor {
    return this.op('QuickGelu', [x]);
  }
  /** x·σ(x), a.k.a. swish. */
  silu(x: Tensor): Tensor {
    return this.op('Silu', [x]);
  }
  cast(x: Tensor, to: DType): Tensor {
    return x.dtype === to ? x : this.op('Cast', [x], { to });
  }

  /** Batched matrix product with broadcasting over leading dims (both operands rank ≥ 2). */
  matmul(a: Tensor, b: Tensor): Tensor {
    return this.op('MatMul', [a, b]);
  }
  /** ONNX Gemm on 2-D operands: alpha·A'·B' + beta·C. */
  gemm(a: Tensor, b: Tensor, c?: Tensor, options: GemmOptions = {}): Tensor {
    const attrs = {
      transA: !!options.transA,
      transB: !!options.transB,
      alpha: options.alpha ?? 1,
      beta: options.beta ?? 1,
    };
    return this.op('Gemm', c ? [a, b, c] : [a, b], attrs);
  }
  /** PyTorch nn.Linear: x·Wᵀ + b with W of shape [out, in]; any leading dims on x. */
  linear(x: Tensor, weight: Tensor, bias?: Tensor): Tensor {
    if (x.rank === 2) return this.gemm(x, weight, bias, { transB: true });
    const y = this.matmul(x, this.transpose(weight, [1, 0]));
    return bias ? this.add(y, bias) : y;
  }

  /** N-d convolution, PyTorch layout: x [N, C, ...], w [M, C/groups, ...k], b [M]. */
  conv(x: Tensor, w: Tensor, b?: Tensor, options: ConvOptions = {}): Tensor {
    return this.op('Conv', b ? [x, w, b] : [x, w], convAttrs(x.rank - 2, options));
  }

  softmax(x: Tensor, axis = -1): Tensor {
    return this.op('Softmax', [x], { axis: normAxis(axis, x.rank) });
  }
  /** log(softmax(x)) without the underflow of composing them (cross-entropy losses). */
  logSoftmax(x: Tensor, axis = -1): Tensor {
    return this.op('LogSoftmax', [x], { axis: normAxis(axis, x.rank) });
  }
  /** Normalises over the last dims from `axis` (PyTorch LayerNorm(normalized_shape = x.shape[axis:])). */
  layerNorm(x: Tensor, weight?: Tensor, bias?: Tensor, eps = 1e-5, axis = -1): Tensor {
    if (bias && !weight) throw new Error('layerNorm: a bias needs a weight');
    const inputs = [x, ...(weight ? [weight] : []), ...(bias ? [bias] : [])];
    return this.op('LayerNorm', inputs, { axis: normAxis(axis, x.rank), eps });
  }
  /** PyTorch GroupNorm on [N, C, ...]: per-group normalisation, then a per-channel affine. */
  groupNorm(x: Tensor, groups: number, weight?: Tensor, bias?: Tensor, eps = 1e-5): Tensor {
    let y = this.op('GroupNormalize', [x], { groups, eps });
    const perChannel = [-1, ...Array<number>(x.rank - 2).fill(1)];
    if (weight) y = this.mul(y, this.reshape(weight, perChannel));
    if (bias) y = this.add(y, this.reshape(bias, perChannel));
    return y;
  }

  /** ONNX Reshape: 0 copies an input dim, one -1 is inferred. */
  reshape(x: Tensor, shape: readonly number[]): Tensor {
    return this.op('Reshape', [x], { shape: [...shape] });
  }
  /** Reshapes x to the runtime shape of `ref` (for symbolic shapes a static target cannot express). */
  reshapeLike(x: Tensor, ref: Tensor): Tensor {
    return this.op('ReshapeLike', [x, ref]);
  }
  transpose(x: Tensor, perm: readonly number[]): Tensor {
    return this.op('Transpose', [x], { perm: [...perm] });
  }
  /** Step-1 slice of [start, end) along each listed axis (negative indices count from the end). */
  slice(x: Tensor, starts: readonly number[], ends: readonly number[], axes?: readonly number[]): Tensor {
    const ax = (axes ?? starts.map((_, i) => i)).map((a) => normAxis(a, x.rank));
    return this.op('Slice', [x], { starts: [...starts], ends: [...ends], axes: ax });
  }
  concat(xs: readonly Tensor[], axis: number): Tensor {
    if (xs.length === 0) throw new Error('concat of nothing');
    return this.op('Concat', xs, { axis: normAxis(axis, xs[0]!.rank) });
  }
  /** Splits into consecutive pieces of the given sizes (lowered as slices, so each piece has its own gradient). */
  split(x: Tensor, sizes: readonly number[], axis: number): Tensor[] {
    const a = normAxis(axis, x.rank);
    let start = 0;
    return sizes.map((size) => {
      const piece = this.slice(x, [start], [start + size], [a]);
      start += size;
      return piece;
    });
  }
  /** Rows of `x` along `axis` picked by integer `indices` (i32 keeps int64 off the GPU data path). */
  gather(x: Tensor, indices: Tensor, axis = 0): Tensor {
    return this.op('Gather', [x, indices], { axis: normAxis(axis, x.rank) });
  }
  unsqueeze(x: Tensor, axes: readonly number[]): Tensor {
    const rank = x.rank + axes.length;
    return this.op('Unsqueeze', [x], { axes: axes.map((a) => normAxis(a, rank)).sort((p, q) => p - q) });
  }
  squeeze(x: Tensor, axes: readonly number[]): Tensor {
    return this.op('Squeeze', [x], { axes: axes.map((a) => normAxis(a, x.rank)).sort((p, q) => p - q) });
  }
  /** Broadcasts x to `shape` (numpy rules; 1 keeps the input dim). */
  expand(x: Tensor, shape: readonly number[]): Tensor {
    return this.op('Expand', [x], { shape: [...shape] });
  }
  /** Broadcasts x to the runtime shape of `ref`. */
  expandLike(x: Tensor, ref: Tensor): Tensor {
    return this.op('ExpandLike', [x, ref]);
  }
  /** Zero padding: pads = [begin per axis..., end per axis...], non-negative. */
  pad(x: Tensor, pads: readonly number[]): Tensor {
    return this.op('Pad', [x], { pads: [...pads] });
  }

  sum(x: Tensor, axes: readonly number[], keepdims = false): Tensor {
    return this.reduce('ReduceSum', x, axes, keepdims);
  }
  mean(x: Tensor, axes: readonly number[], keepdims = false): Tensor {
    return this.reduce('ReduceMean', x, axes, keepdims);
  }
  max(x: Tensor, axes: readonly number[], keepdims = false): Tensor {
    return this.reduce('ReduceMax', x, axes, keepdims);
  }
  /** Sum of all elements, as a scalar. */
  sumAll(x: Tensor): Tensor {
    return this.sum(
      x,
      x.shape.map((_, i) => i),
    );
  }
  meanAll(x: Tensor): Tensor {
    return this.mean(
      x,
      x.shape.map((_, i) => i),
    );
  }
  private reduce(type: OpType, x: Tensor, axes: readonly number[], keepdims: boolean): Tensor {
    const ax = [...new Set(axes.map((a) => normAxis(a, x.rank)))].sort((p, q) => p - q);
    return this.op(type, [x], { axes: ax, keepdims });
  }

  /** Nearest-neighbour upsampling of the last two axes by an integer factor (UNet/VAE ×2). */
  upsample(x: Tensor, scale = 2): Tensor {
    return this.op('UpsampleNearest', [x], { scale });
  }

  /** Scaled dot-product attention softmax(q·kᵀ·scale + mask)·v over [.., L, d] operands. */
  attention(q: Tensor, k: Tensor, v: Tensor, options: AttentionOptions = {}): Tensor {
    const d = q.dim(-1);
    if (typeof d !== 'number') throw new Error('attention: the head dim must be static');
    const inputs = options.mask ? [q, k, v, options.mask] : [q, k, v];
    return this.op('Attention', inputs, { scale: options.scale ?? 1 / Math.sqrt(d) });
  }
}

function perAxis(
  value: number | readonly number[] | undefined,
  n: number,
  fallback: number,
  what: string,
): number[] {
  if (value === undefined) return Array<number>(n).fill(fallback);
  if (typeof value === 'number') return Array<number>(n).fill(value);
  if (value.length !== n) throw new Error(`conv ${what}: expected ${n} values, got ${value.length}`);
  return [...value];
}

export interface ConvAttrs {
  strides: number[];
  pads: number[];
  dilations: number[];
  group: number;
}

export function convAttrs(spatial: number, o: ConvOptions): ConvAttrs {
  const pad =
    typeof o.pad === 'object' && o.pad.length === 2 * spatial
      ? [...o.pad]
      : perAxis(o.pad, spatial, 0, 'pad');
  return {
    strides: perAxis(o.stride, spatial, 1, 'stride'),
    pads: pad.length === spatial ? [...pad, ...pad] : pad,
    dilations: perAxis(o.dilation, spatial, 1, 'dilation'),
    group: o.groups ?? 1,
  };
}

export type { Dim };
