// Forward results of the non-trivial ops against hand-written JS references, on cpu and webgpu.
import { describe, expect, it } from 'vitest';
import { Graph, type Tensor } from '../../main/engine/ir/graph';
import { type Ep, maxAbsDiff, randn, rng, runGraph } from './helpers';
import { expectWithin } from '../parity';

/** fp32 kernels vs float64 references on O(1) values; webgpu (lavapipe) reorders sums more. */
const TOL: Record<Ep, number> = { cpu: 2e-5, webgpu: 2e-4 };

type Arr = number[];

function conv2d(
  x: Arr,
  [n, c, h, w]: number[],
  k: Arr,
  [m, cg, kh, kw]: number[],
  b: Arr | undefined,
  o: { s: number; p: number[]; d: number; g: number },
) {
  const ho = Math.floor((h! + o.p[0]! + o.p[2]! - (o.d * (kh! - 1) + 1)) / o.s) + 1;
  const wo = Math.floor((w! + o.p[1]! + o.p[3]! - (o.d * (kw! - 1) + 1)) / o.s) + 1;
  const out: Arr = [];
  const mPerGroup = m! / o.g;
  for (let ni = 0; ni < n!; ni++)
    for (let mi = 0; mi < m!; mi++)
      for (let y = 0; y < ho; y++)
        for (let xo = 0; xo < wo; xo++) {
          let acc = b ? b[mi]! : 0;
          const group = Math.floor(mi / mPerGroup);
          for (let ci = 0; ci < cg!; ci++)
            for (let i = 0; i < kh!; i++)
              for (let j = 0; j < kw!; j++) {
                const yy = y * o.s + i * o.d - o.p[0]!;
                const xx = xo * o.s + j * o.d - o.p[1]!;
                if (yy < 0 || yy >= h! || xx < 0 || xx >= w!) continue;
                const cin = group * cg! + ci;
                acc += x[((ni * c! + cin) * h! + yy) * w! + xx]! * k[((mi * cg! + ci) * kh! + i) * kw! + j]!;
              }
          out.push(acc);
        }
  return out;
}

function normalize(v: Arr, eps: number): Arr {
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const variance = v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length;
  return v.map((e) => (e - mean) / Math.sqrt(variance + eps));
}

/** Abramowitz–Stegun 7.1.26 is too coarse; this series/continued-fraction pair is good to ~1e-12. */
function erf(x: number): number {
  if (Math.abs(x) < 2.5) {
    let sum = x;
    let term = x;
    for (let n = 1; n < 60; n++) {
      term *= (-x * x) / n;
      sum += term / (2 * n + 1);
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  }
  let f = 0;
  for (let n = 60; n >= 1; n--) f = n / 2 / (Math.abs(x) + f);
  const erfc = Math.exp(-x * x) / Math.sqrt(Math.PI) / (Math.abs(x) + f);
  return Math.sign(x) * (1 - erfc);
}

interface Case {
  name: string;
  inputs: Record<string, { shape: number[]; values: Arr }>;
  build: (g: Graph, x: Record<string, Tensor>) => Tensor;
  expected: (x: Record<string, Arr>) => Arr;
}

const next = rng(7);
const data = (...shape: number[]) => ({
  shape,
  values: randn(
    next,
    shape.reduce((a, b) => a * b, 1),
  ),
});

const cases: Case[] = [
  {
    name: 'conv groups 2, dilation 2, stride 2, asymmetric pad, bias',
    inputs: { x: data(2, 4, 7, 6), w: data(6, 2, 3, 2), b: data(6) },
    build: (g, x) => g.conv(x.x!, x.w!, x.b!, { groups: 2, dilation: 2, stride: 2, pad: [2, 1, 1, 0] }),
    expected: (x) =>
      conv2d(x.x!, [2, 4, 7, 6], x.w!, [6, 2, 3, 2], x.b, { s: 2, p: [2, 1, 1, 0], d: 2, g: 2 }),
  },
  {
    name: 'layerNorm over the last dim with affine',
    inputs: { x: data(3, 5), w: data(5), b: data(5) },
    build: (g, x) => g.layerNorm(x.x!, x.w!, x.b!, 1e-5),
    expected: (x) =>
      [0, 1, 2].flatMap((r) =>
        normalize(x.x!.slice(r * 5, r * 5 + 5), 1e-5).map((v, i) => v * x.w![i]! + x.b![i]!),
      ),
  },
  {
    name: 'groupNorm 3 groups over [2, 6, 2, 2] with affine',
    inputs: { x: data(2, 6, 2, 2), w: data(6), b: data(6) },
    build: (g, x) => g.groupNorm(x.x!, 3, x.w!, x.b!, 1e-5),
    expected: (x) =>
      [0, 1, 2, 3, 4, 5]
        .flatMap((ng) => normalize(x.x!.slice(ng * 8, ng * 8 + 8), 1e-5))
        .map((v, i) => {
          const ch = Math.floor(i / 4) % 6;
          return v * x.w![ch]! + x.b![ch]!;
        }),
  },
  {
    name: 'attention with additive mask',
    inputs: {
      q: data(2, 3, 4),
      k: data(2, 5, 4),
      v: data(2, 5, 3),
      m: { shape: [3, 5], values: [0, 0, -1e4, 0, 0, 0, -1e4, 0, 0, 0, 0, 0, 0, 0, -1e4] },
    },
    build: (g, x) => g.attention(x.q!, x.k!, x.v!, { mask: x.m! }),
    expected: (x) => {
      const out: Arr = [];
      for (let b = 0; b < 2; b++)
        for (let i = 0; i < 3; i++) {
          const s = [0, 1, 2, 3, 4].map((j) => {
            let dot = 0;
            for (let d = 0; d < 4; d++) dot += x.q![(b * 3 + i) * 4 + d]! * x.k![(b * 5 + j) * 4 + d]!;
            return dot / 2 + x.m![i * 5 + j]!;
          });
          const mx = Math.max(...s);
          const e = s.map((v) => Math.exp(v - mx));
          const z = e.reduce((p, q) => p + q, 0);
          for (let d = 0; d < 3; d++)
            out.push(e.reduce((acc, p, j) => acc + (p / z) * x.v![(b * 5 + j) * 3 + d]!, 0));
        }
      return out;
    },
  },
  {
    name: 'nearest upsample ×2',
    inputs: { x: data(1, 2, 2, 3) },
    build: (g, x) => g.upsample(x.x!, 2),
    expected: (x) => {
      const out: Arr = [];
      for (let c = 0; c < 2; c++)
        for (let y = 0; y < 4; y++)
          for (let xx = 0; xx < 6; xx++) out.push(x.x![c * 6 + (y >> 1) * 3 + (xx >> 1)]!);
      return out;
    },
  },
  {
    name: 'gelu (erf)',
    inputs: { x: data(2, 5) },
    build: (g, x) => g.gelu(x.x!),
    expected: (x) => x.x!.map((v) => 0.5 * v * (1 + erf(v / Math.SQRT2))),
  },
  {
    name: 'quickGelu',
    inputs: { x: data(2, 5) },
    build: (g, x) => g.quickGelu(x.x!),
    expected: (x) => x.x!.map((v) => v / (1 + Math.exp(-1.702 * v))),
  },
  {
    name: 'silu',
    inputs: { x: data(2, 5) },
    build: (g, x) => g.silu(x.x!),
    expected: (x) => x.x!.map((v) => v / (1 + Math.exp(-v))),
  },
  {
    name: 'linear on rank 3 (MatMul + transposed weight + bias)',
    inputs: { x: data(2, 2, 3), w: data(4, 3), b: data(4) },
    build: (g, x) => g.linear(x.x!, x.w!, x.b!),
    expected: (x) =>
      [0, 1, 2, 3].flatMap((r) =>
        [0, 1, 2, 3].map(
          (o) => x.b![o]! + [0, 1, 2].reduce((a, i) => a + x.x![r * 3 + i]! * x.w![o * 3 + i]!, 0),
        ),
      ),
  },
];

describe.each(['cpu', 'webgpu'] as const)('op forward vs JS reference on %s', (ep) => {
  for (const c of cases) {
    it(c.name, async () => {
      const g = new Graph('forward');
      const tensors: Record<string, Tensor> = {};
      for (const [name, v] of Object.entries(c.inputs)) tensors[name] = g.input(name, v.shape);
      g.output('y', c.build(g, tensors));
      const feeds = Object.fromEntries(
        Object.entries(c.inputs).map(([k, v]) => [k, { data: Float32Array.from(v.values), dims: v.shape }]),
      );
      const { y } = await runGraph(g, feeds, { ep });
      const expected = c.expected(
        Object.fromEntries(Object.entries(c.inputs).map(([k, v]) => [k, v.values])),
      );
      expect(y!.data.length).toBe(expected.length);
      expectWithin(
        `${c.name} on ${ep} vs JS reference`,
        maxAbsDiff(y!.data as Float32Array, expected),
        TOL[ep],
      );
    });
  }
});
