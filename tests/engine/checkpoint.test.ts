// Gradient checkpointing (Graph.checkpoint + autodiff recomputation): the same gradients as without it,
// recomputed nodes that onnxruntime really runs, an exact barrier, and errors for segments that leak.
import { describe, expect, it } from 'vitest';
import { addTrainingOutputs } from '../../main/engine/autodiff';
import { Graph, type Tensor } from '../../main/engine/ir/graph';
import type { Precision } from '../../main/engine/ops/types';
import { type HostTensor, compile, randn, rng } from './helpers';
import { expectWithin } from '../parity';

type Wrap = (label: string, build: () => Tensor) => Tensor;
const plain: Wrap = (_label, build) => build();
const checkpointed =
  (g: Graph): Wrap =>
  (label, build) =>
    g.checkpoint(label, build);

/** Gradient outputs of a graph built twice (with and without segments), run under one precision. */
async function bothWays(
  build: (g: Graph, wrap: Wrap) => void,
  feeds: Record<string, number[]>,
  dims: Record<string, number[]>,
  precision: Precision,
) {
  const run = async (withSegments: boolean) => {
    const g = new Graph('ckpt');
    build(g, withSegments ? checkpointed(g) : plain);
    if (withSegments) expect(g.segments.length).toBeGreaterThan(0);
    const session = await compile(g, { precision, profile: true });
    const array = precision === 'fp64' ? Float64Array : Float32Array;
    const host: Record<string, HostTensor> = {};
    for (const [name, values] of Object.entries(feeds))
      host[name] = { data: array.from(values), dims: dims[name]! };
    try {
      const out = await session.run(host);
      return { out, nodes: await session.placements() };
    } finally {
      await session.release();
    }
  };
  return { plain: await run(false), checkpointed: await run(true) };
}

function worstRelative(a: Record<string, HostTensor>, b: Record<string, HostTensor>): number {
  let worst = 0;
  for (const name of Object.keys(a).filter((k) => k.startsWith('grad/'))) {
    const x = a[name]!.data as Float32Array;
    const y = b[name]!.data as Float32Array;
    expect(y.length).toBe(x.length);
    const scale = Math.max(...Array.from(x, Math.abs));
    expect(scale).toBeGreaterThan(0);
    for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i]! - y[i]!) / scale);
  }
  return worst;
}

const count = (nodes: { opType: string }[], type: string) => nodes.filter((n) => n.opType === type).length;

function values(seed: number, shapes: Record<string, number[]>): Record<string, number[]> {
  const next = rng(seed);
  return Object.fromEntries(
    Object.entries(shapes).map(([k, s]) => [
      k,
      randn(
        next,
        s.reduce((a, b) => a * b, 1),
        0.5,
      ),
    ]),
  );
}

describe('gradient checkpointing', () => {
  // x → 3 × (tanh(x·Wᵢᵀ + bᵢ)·x-residual) → mean square; each layer a segment.
  const mlpShapes: Record<string, number[]> = { x: [4, 6], target: [4, 6] };
  for (let i = 0; i < 3; i++) Object.assign(mlpShapes, { [`w${i}`]: [6, 6], [`b${i}`]: [6] });
  const mlp = (g: Graph, wrap: Wrap) => {
    let h = g.input('x', [4, 6]);
    for (let i = 0; i < 3; i++) {
      const w = g.input(`w${i}`, [6, 6], { trainable: true });
      const b = g.input(`b${i}`, [6], { trainable: true });
      const x = h;
      h = wrap(`layer${i}`, () =>
        g
          .tanh(g.linear(x, w, b))
          .mul(g.sigmoid(x))
          .add(x),
      );
    }
    const err = h.sub(g.input('target', [4, 6]));
    addTrainingOutputs(g, g.meanAll(err.mul(err)));
  };

  it.each(['fp64', 'fp32'] as const)('MLP with 3 segments: the same gradients in %s', async (precision) => {
    const r = await bothWays(mlp, values(1, mlpShapes), mlpShapes, precision);
    const err = worstRelative(r.plain.out, r.checkpointed.out);
    expectWithin(
      `MLP ${precision}: checkpointed vs plain gradients`,
      err,
      precision === 'fp64' ? 1e-12 : 1e-6,
    );
    // Each layer's linear (a Gemm, with the Tanh fused in fp32) and Sigmoid run again in the backward pass.
    const gemms = (nodes: { opType: string }[]) => count(nodes, 'Gemm') + count(nodes, 'FusedGemm');
    expect(gemms(r.checkpointed.nodes)).toBe(gemms(r.plain.nodes) + 3);
    expect(count(r.checkpointed.nodes, 'Sigmoid')).toBe(count(r.plain.nodes, 'Sigmoid') + 3);
  });

  // A small UNet-like stretch: resnet (GroupNorm, SiLU, conv, residual) then attention over the pixels.
  const convShapes: Record<string, number[]> = {
    x: [2, 8, 4, 4],
    c1: [8, 8, 3, 3],
    c2: [8, 8, 3, 3],
    gw: [8],
    gb: [8],
    q: [8, 8],
    k: [8, 8],
    v: [8, 8],
    target: [2, 8, 4, 4],
  };
  const convBlock = (g: Graph, wrap: Wrap) => {
    const x = g.input('x', [2, 8, 4, 4]);
    const p = (name: string) => g.input(name, convShapes[name]!, { trainable: true });
    const [c1, c2, gw, gb, q, k, v] = ['c1', 'c2', 'gw', 'gb', 'q', 'k', 'v'].map(p) as Tensor[];
    const res = wrap('resnet', () => {
      const h = g.conv(g.silu(g.groupNorm(x, 4, gw, gb)), c1!, undefined, { pad: 1 });
      return g.conv(g.silu(h), c2!, undefined, { pad: 1 }).add(x);
    });
    const attn = wrap('attention', () => {
      const tokens = res.reshape([2, 8, 16]).transpose([0, 2, 1]);
      const heads = (t: Tensor) => t.reshape([2, 16, 2, 4]).transpose([0, 2, 1, 3]);
      const o = g.attention(
        heads(g.linear(tokens, q!)),
        heads(g.linear(tokens, k!)),
        heads(g.linear(tokens, v!)),
      );
      return o
        .transpose([0, 2, 1, 3])
        .reshape([2, 16, 8])
        .transpose([0, 2, 1])
        .reshape([2, 8, 4, 4])
        .add(res);
    });
    const err = attn.sub(g.input('target', [2, 8, 4, 4]));
    addTrainingOutputs(g, g.meanAll(err.mul(err)));
  };

  it('conv + GroupNorm + attention in 2 segments: the same gradients in fp32, convs recomputed', async () => {
    const r = await bothWays(convBlock, values(2, convShapes), convShapes, 'fp32');
    const err = worstRelative(r.plain.out, r.checkpointed.out);
    expectWithin('conv/attention fp32: checkpointed vs plain gradients', err, 1e-6);
    const convs = (nodes: { opType: string }[]) =>
      nodes.filter((n) => /^(Fused)?Conv$/.test(n.opType)).length;
    // The resnet's first conv runs again (CSE did not merge it into the forward pass); the second conv's
    // recomputed output feeds no gradient rule (only a residual Add), so lowering drops it.
    expect(convs(r.checkpointed.nodes)).toBe(convs(r.plain.nodes) + 1);
    // The attention segment's q, k and v projections run again for its gradient rule.
    const matmuls = (nodes: { opType: string }[]) => count(nodes, 'MatMul') + count(nodes, 'FusedMatMul');
    expect(matmuls(r.checkpointed.nodes)).toBeGreaterThanOrEqual(matmuls(r.plain.nodes) + 3);
  });

  it('the barrier keeps signed zeros, infinities and subnormals exactly', async () => {
    // d/da Σ (a / x)·r = r / x: the sign of a zero x decides ±∞, so x + 0 instead of x − |0| would fail.
    const xs = [-0, 0, 1e-40, -1e-40, 3e38, -2, Infinity, 0.5];
    const shapes = { a: [8], x: [8], r: [8] };
    const build = (g: Graph, wrap: Wrap) => {
      const a = g.input('a', [8], { trainable: true });
      const x = g.input('x', [8]);
      const y = wrap('div', () => g.div(a, x).mul(1));
      addTrainingOutputs(g, g.sumAll(y.mul(g.input('r', [8]))));
    };
    const feeds = { a: [1, 2, 3, 4, 5, 6, 7, 8], x: xs, r: [1, -1, 1, -1, 1, -1, 1, -1] };
    const r = await bothWays(build, feeds, shapes, 'fp32');
    const plainGrad = Array.from(r.plain.out['grad/a']!.data as Float32Array);
    const ckptGrad = Array.from(r.checkpointed.out['grad/a']!.data as Float32Array);
    expect(plainGrad[0]).toBe(-Infinity);
    ckptGrad.forEach((v, i) => expect(Object.is(v, plainGrad[i])).toBe(true));
  });

  it('rejects a segment intermediate used outside it, nested segments and a non-op output', () => {
    const g = new Graph();
    const x = g.input('x', [3]);
    let inner: Tensor | undefined;
    const out = g.checkpoint('block', () => {
      inner = g.exp(x);
      return inner.add(1);
    });
    expect(() => g.add(out, inner!)).toThrow(
      /Exp#\d+.* is an intermediate of checkpoint "block"; only its output/,
    );
    expect(() => g.output('leak', inner!)).toThrow(/intermediate of checkpoint "block"/);
    expect(() => g.output('ok', g.add(out, 1))).not.toThrow();
    expect(() => g.checkpoint('outer', () => g.checkpoint('inner', () => g.exp(x)))).toThrow(/do not nest/);
    expect(() => g.checkpoint('passthrough', () => x)).toThrow(/must be an op computed inside/);
  });
});
