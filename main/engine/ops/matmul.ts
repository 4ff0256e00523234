// Matrix products: batched MatMul with broadcasting, and 2-D Gemm (Linear).
import type { Graph, Tensor } from '../ir/graph';
import { type Dim, broadcastShapes, formatShape } from '../ir/shape';
import { type OpDef, attr } from './types';
import { direct, requireRank, sameDtype } from './util';

/** Swaps the last two axes. */
export function transposeLast(g: Graph, t: Tensor): Tensor {
  const perm = [...t.shape.keys()];
  perm.splice(-2, 2, t.rank - 1, t.rank - 2);
  return g.transpose(t, perm);
}

function sameDim(a: Dim, b: Dim, what: string): void {
  if (a !== b) throw new Error(`${what}: inner dims ${a} and ${b} differ`);
}

interface GemmAttrs {
  transA: boolean;
  transB: boolean;
  alpha: number;
  beta: number;
}

const matMul = {
  type: 'MatMul',
  infer: ([a, b]) => {
    requireRank(a!, 2, 'MatMul');
    requireRank(b!, 2, 'MatMul');
    const [m, k] = a!.shape.slice(-2);
    const [k2, n] = b!.shape.slice(-2);
    sameDim(k!, k2!, 'MatMul');
    const batch = broadcastShapes(a!.shape.slice(0, -2), b!.shape.slice(0, -2));
    return { dtype: sameDtype([a!, b!]), shape: [...batch, m!, n!] };
  },
  lower: direct('MatMul'),
  grad: (g, { inputs: [a, b], dy, needs }) => [
    needs[0] ? g.matmul(dy, transposeLast(g, b!)) : undefined,
    needs[1] ? g.matmul(transposeLast(g, a!), dy) : undefined,
  ],
} as const satisfies OpDef;

const gemm = {
  type: 'Gemm',
  infer: ([a, b, c], { transA, transB }) => {
    if (a!.shape.length !== 2 || b!.shape.length !== 2)
      throw new Error(`Gemm needs 2-D operands, got ${formatShape(a!.shape)} and ${formatShape(b!.shape)}`);
    const [m, k] = transA ? [a!.shape[1]!, a!.shape[0]!] : a!.shape;
    const [k2, n] = transB ? [b!.shape[1]!, b!.shape[0]!] : b!.shape;
    sameDim(k!, k2!, 'Gemm');
    const shape = [m!, n!];
    if (c && formatShape(broadcastShapes(c.shape, shape)) !== formatShape(shape))
      throw new Error(`C ${formatShape(c.shape)} does not broadcast to ${formatShape(shape)}`);
    return { dtype: sameDtype(c ? [a!, b!, c] : [a!, b!]), shape };
  },
  lower: (ctx, { inputs, attrs, out }) => {
    const attributes = {
      transA: attr.int(+attrs.transA),
      transB: attr.int(+attrs.transB),
      alpha: attr.float(attrs.alpha),
      beta: attr.float(attrs.beta),
    };
    ctx.node('Gemm', inputs, attributes, { output: out });
  },
  // With A' = op(A), B' = op(B): dA' = α·dY·B'ᵀ, dB' = α·A'ᵀ·dY, dC = β·dY (broadcast over C).
  grad: (g, { inputs: [a, b, c], dy, needs, attrs: { transA, transB, alpha, beta } }) => [
    needs[0]
      ? transA
        ? g.gemm(b!, dy, undefined, { transA: transB, transB: true, alpha })
        : g.gemm(dy, b!, undefined, { transB: !transB, alpha })
      : undefined,
    needs[1]
      ? transB
        ? g.gemm(dy, a!, undefined, { transA: true, transB: transA, alpha })
        : g.gemm(a!, dy, undefined, { transA: !transA, alpha })
      : undefined,
    c && needs[2] ? (beta === 1 ? dy : g.mul(dy, beta)) : undefined,
  ],
} as const satisfies OpDef<GemmAttrs>;

export const matmulOps = [matMul, gemm] as const;
