// Scaled dot-product attention softmax(q·kᵀ·scale + mask)·v as one op: a MatMul/Softmax lowering every EP
// runs, a fused com.microsoft.MultiHeadAttention lowering where the context allows it, and a closed-form
// gradient that recomputes the probabilities instead of differentiating the decomposition.
import type { Graph, Tensor, TensorInfo } from '../ir/graph';
import { type Dim, broadcastShapes, formatShape, isStatic } from '../ir/shape';
import { transposeLast } from './matmul';
import { type LowerArgs, type LowerContext, type OpDef, attr } from './types';
import { sameDtype, sameShape } from './util';

interface AttentionAttrs {
  scale: number;
}

function scoresShape(q: TensorInfo, k: TensorInfo): Dim[] {
  return [...q.shape.slice(0, -1), k.shape.at(-2)!];
}

function lastTwoSwapped(rank: number): number[] {
  const perm = Array.from({ length: rank }, (_, i) => i);
  perm.splice(-2, 2, rank - 1, rank - 2);
  return perm;
}

const attention = {
  type: 'Attention',
  infer: (inputs) => {
    const [q, k, v, mask] = inputs;
    const rank = q!.shape.length;
    if (rank < 3 || k!.shape.length !== rank || v!.shape.length !== rank) {
      throw new Error('q, k and v must share a rank ≥ 3: [..., L, d]');
    }
    const batch = q!.shape.slice(0, -2);
    if (!sameShape(batch, k!.shape.slice(0, -2)) || !sameShape(batch, v!.shape.slice(0, -2))) {
      throw new Error('q, k and v must share their leading (batch, head) dims');
    }
    if (q!.shape.at(-1) !== k!.shape.at(-1)) throw new Error('q and k head dims differ');
    if (k!.shape.at(-2) !== v!.shape.at(-2)) throw new Error('k and v lengths differ');
    const scores = scoresShape(q!, k!);
    if (mask && !sameShape(broadcastShapes(mask.shape, scores), scores)) {
      throw new Error(
        `mask ${formatShape(mask.shape)} does not broadcast to the scores ${formatShape(scores)}`,
      );
    }
    return { dtype: sameDtype(inputs), shape: [...batch, q!.shape.at(-2)!, v!.shape.at(-1)!] };
  },
  lower: (ctx, args) => {
    if (!ctx.fusedAttention || !lowerFused(ctx, args)) lowerUnfused(ctx, args);
  },
  // P = softmax(S), S = q·kᵀ·s + m:  dV = Pᵀ·dO, dS = P ⊙ (dP − Σ dP ⊙ P) with dP = dO·vᵀ,
  // dq = s·dS·k, dk = s·dSᵀ·q, dm = dS (broadcast over the mask).
  grad: (g, { inputs: [q, k, v, mask], dy, attrs: { scale }, needs }) => {
    const p = probabilities(g, q!, k!, mask, scale);
    const dp = g.matmul(dy, transposeLast(g, v!));
    const ds = g.mul(p, g.sub(dp, g.sum(g.mul(dp, p), [-1], true)));
    const dsScaled = g.mul(ds, scale);
    return [
      needs[0] ? g.matmul(dsScaled, k!) : undefined,
      needs[1] ? g.matmul(transposeLast(g, dsScaled), q!) : undefined,
      needs[2] ? g.matmul(transposeLast(g, p), dy) : undefined,
      mask && needs[3] ? ds : undefined,
    ];
  },
} as const satisfies OpDef<AttentionAttrs>;

function probabilities(g: Graph, q: Tensor, k: Tensor, mask: Tensor | undefined, scale: number): Tensor {
  const scores = g.mul(g.matmul(q, transposeLast(g, k)), scale);
  return g.softmax(mask ? g.add(scores, mask) : scores, -1);
}

function lowerUnfused(
  ctx: LowerContext,
  { inputs: [q, k, v, mask], attrs, inputInfo, out }: LowerArgs<AttentionAttrs>,
): void {
  const kt = ctx.node('Transpose', [k!], { perm: attr.ints(lastTwoSwapped(inputInfo[0]!.shape.length)) });
  let scores = ctx.node('Mul', [ctx.node('MatMul', [q!, kt]), ctx.float(attrs.scale)]);
  if (mask) scores = ctx.node('Add', [scores, mask]);
  // The softmax stays fp32 under the fp16 policy.
  const half = ctx.onnxType('f32') === 'float16';
  const toType = (name: string, type: 'float' | 'float16') =>
    ctx.node('Cast', [name], { to: attr.int(type === 'float' ? 1 : 10) });
  let probs = ctx.node('Softmax', [half ? toType(scores, 'float') : scores], { axis: attr.int(-1) });
  if (half) probs = toType(probs, 'float16');
  ctx.node('MatMul', [probs, v!], {}, { output: out });
}

/**
 * com.microsoft.MultiHeadAttention with one head over [X, L, d] (X = all leading dims flattened), so any
 * head layout maps onto it. Returns false (use the unfused form) where the shapes do not fit its contract.
 */
function lowerFused(
  ctx: LowerContext,
  { inputs: [q, k, v, mask], attrs, inputInfo, out }: LowerArgs<AttentionAttrs>,
): boolean {
  const [qi, ki, vi, mi] = inputInfo;
  const lead = qi!.shape.slice(0, -2);
  const tail = [...qi!.shape.slice(-2), ...ki!.shape.slice(-2), vi!.shape.at(-1)!];
  if (!isStatic(tail) || lead.filter((d) => typeof d !== 'number').length > 1) return false;
  if (vi!.shape.at(-1) !== qi!.shape.at(-1)) return false;
  const [s, d, l] = tail as number[];
  if (
    mi &&
    !(mi.shape.length <= 2 && mi.shape.at(-1) === l && (mi.shape.length === 1 ? s === 1 : mi.shape[0] === s))
  )
    return false;
  const flat = (name: string, len: number) =>
    lead.length === 1 ? name : ctx.node('Reshape', [name, ctx.i64([-1, len, d!])]);
  const bias = mask ? ctx.node('Reshape', [mask, ctx.i64([1, 1, s!, l!])]) : '';
  const attributes = { num_heads: attr.int(1), scale: attr.float(attrs.scale) };
  const fusedInputs = [flat(q!, s!), flat(k!, l!), flat(v!, l!), '', '', bias];
  const domain = 'com.microsoft';
  if (lead.length === 1) {
    ctx.node('MultiHeadAttention', fusedInputs, attributes, { output: out, domain });
  } else {
    const y = ctx.node('MultiHeadAttention', fusedInputs, attributes, { domain });
    const target = lead.map((dim) => (typeof dim === 'number' ? dim : -1));
    ctx.node('Reshape', [y, ctx.i64([...target, s!, d!])], {}, { output: out });
  }
  return true;
}

export const attentionOps = [attention] as const;
