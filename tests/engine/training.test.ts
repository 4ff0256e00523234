// End-to-end training: one lowered graph returns loss + gradients, AdamW updates the parameters in
// TypeScript between runs. A small MLP and a small conv net must cut their loss by the stated factor
// on cpu and on the WebGPU EP.
import { afterAll, describe, expect, it } from 'vitest';
import { addTrainingOutputs } from '../../main/engine/autodiff';
import { Graph, type Tensor } from '../../main/engine/ir/graph';
import { AdamW } from '../../main/engine/optim';
import { type Ep, type HostTensor, compile, randn, rng } from './helpers';

interface Problem {
  graph: Graph;
  params: Record<string, { values: Float32Array; dims: number[] }>;
  data: Record<string, HostTensor>;
}

function param(
  g: Graph,
  next: () => number,
  name: string,
  shape: number[],
  scale: number,
  params: Problem['params'],
): Tensor {
  const values = Float32Array.from(
    randn(
      next,
      shape.reduce((a, b) => a * b, 1),
      scale,
    ),
  );
  params[name] = { values, dims: shape };
  return g.param(name, values, { shape, trainable: true });
}

/** Regression onto a fixed random teacher: 4 → 16 (GELU) → 16 (tanh) → 1, MSE. */
function mlpProblem(): Problem {
  const next = rng(21);
  const n = 32;
  const x = randn(next, n * 4);
  const t1 = randn(next, 4 * 3);
  const target = Array.from({ length: n }, (_, i) =>
    Math.tanh(
      [0, 1, 2].reduce(
        (acc, j) => acc + Math.sin([0, 1, 2, 3].reduce((s, k) => s + x[i * 4 + k]! * t1[k * 3 + j]!, 0)),
        0,
      ),
    ),
  );
  const g = new Graph('mlp-train');
  const params: Problem['params'] = {};
  const xin = g.input('x', [n, 4]);
  const y = g.input('target', [n, 1]);
  let h = g.gelu(
    g.linear(xin, param(g, next, 'w1', [16, 4], 0.5, params), param(g, next, 'b1', [16], 0.1, params)),
  );
  h = g.tanh(
    g.linear(h, param(g, next, 'w2', [16, 16], 0.25, params), param(g, next, 'b2', [16], 0.1, params)),
  );
  const out = g.linear(
    h,
    param(g, next, 'w3', [1, 16], 0.25, params),
    param(g, next, 'b3', [1], 0.1, params),
  );
  const err = g.sub(out, y);
  addTrainingOutputs(g, g.meanAll(g.mul(err, err)));
  return {
    graph: g,
    params,
    data: {
      x: { data: Float32Array.from(x), dims: [n, 4] },
      target: { data: Float32Array.from(target), dims: [n, 1] },
    },
  };
}

/** Two classes of 6×6 images (a horizontal vs a vertical bar, plus noise): conv → GroupNorm → SiLU → strided conv → pool → linear, cross-entropy. */
function convProblem(): Problem {
  const next = rng(33);
  const n = 16;
  const images: number[] = [];
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const cls = i % 2;
    const at = 1 + Math.floor(next() * 4);
    for (let r = 0; r < 6; r++)
      for (let c = 0; c < 6; c++)
        images.push(((cls === 0 ? r : c) === at ? 1 : 0) + 0.2 * randn(next, 1)[0]!);
    labels.push(cls === 0 ? 1 : 0, cls === 0 ? 0 : 1);
  }
  const g = new Graph('conv-train');
  const params: Problem['params'] = {};
  const x = g.input('x', [n, 1, 6, 6]);
  const onehot = g.input('onehot', [n, 2]);
  let h = g.conv(
    x,
    param(g, next, 'c1', [4, 1, 3, 3], 0.4, params),
    param(g, next, 'c1b', [4], 0.1, params),
    { pad: 1 },
  );
  h = g.silu(
    g.groupNorm(
      h,
      2,
      param(g, next, 'gn_w', [4], 0.1, params).add(1),
      param(g, next, 'gn_b', [4], 0.1, params),
    ),
  );
  h = g.silu(
    g.conv(h, param(g, next, 'c2', [8, 2, 3, 3], 0.3, params), undefined, { stride: 2, pad: 1, groups: 2 }),
  );
  const pooled = g.mean(h, [2, 3]);
  const logits = g.linear(
    pooled,
    param(g, next, 'fc', [2, 8], 0.3, params),
    param(g, next, 'fcb', [2], 0.1, params),
  );
  const logp = g.logSoftmax(logits, -1);
  addTrainingOutputs(g, g.neg(g.meanAll(g.sum(g.mul(logp, onehot), [1]))));
  return {
    graph: g,
    params,
    data: {
      x: { data: Float32Array.from(images), dims: [n, 1, 6, 6] },
      onehot: { data: Float32Array.from(labels), dims: [n, 2] },
    },
  };
}

const report: string[] = [];

async function train(
  problem: Problem,
  ep: Ep,
  steps: number,
  lr: number,
  precision: 'fp32' | 'fp16' = 'fp32',
): Promise<{ first: number; last: number }> {
  const session = await compile(problem.graph, { ep, precision, profile: ep === 'webgpu' });
  const opt = new AdamW({ lr, weightDecay: 0 });
  const params = problem.graph.initialValues();
  const losses: number[] = [];
  try {
    for (let step = 0; step < steps; step++) {
      const feeds: Record<string, HostTensor> = { ...problem.data };
      for (const [k, v] of Object.entries(params)) feeds[k] = { data: v, dims: problem.params[k]!.dims };
      const out = await session.run(feeds);
      losses.push((out.loss!.data as Float32Array)[0]!);
      const grads = Object.fromEntries(
        Object.keys(params).map((k) => [k, out[`grad/${k}`]!.data as Float32Array]),
      );
      opt.step(params, grads);
    }
    if (ep === 'webgpu') {
      const placements = await session.placements();
      const onCpu = [
        ...new Set(placements.filter((p) => p.provider !== 'webgpu').map((p) => p.opType)),
      ].sort();
      const onGpu = [
        ...new Set(placements.filter((p) => p.provider === 'webgpu').map((p) => p.opType)),
      ].sort();
      report.push(
        `${problem.graph.name} on webgpu (${precision}): ${placements.length} nodes; webgpu ran ${onGpu.join(' ')}; cpu ran ${onCpu.join(' ') || 'nothing'}`,
      );
    }
  } finally {
    await session.release();
  }
  const first = losses[0]!;
  const last = Math.min(...losses.slice(-5));
  report.push(
    `${problem.graph.name} on ${ep} (${precision}): loss ${first.toFixed(4)} → ${last.toExponential(2)} (${(first / last).toExponential(1)}×) in ${steps} AdamW steps`,
  );
  return { first, last };
}

describe.each(['cpu', 'webgpu'] as const)('training converges on %s', (ep) => {
  it('MLP regression: MSE falls at least 10×', async () => {
    const { first, last } = await train(mlpProblem(), ep, 80, 2e-2);
    expect(first / last).toBeGreaterThan(10);
  });

  it('conv net classification: cross-entropy falls at least 10×', async () => {
    const { first, last } = await train(convProblem(), ep, 60, 5e-2);
    expect(first / last).toBeGreaterThan(10);
  });
});

describe('training under the fp16 compute policy', () => {
  // fp16 activations and gradients (no loss scaling: these losses and gradients are O(1e-3..1)).
  it('conv net on webgpu: cross-entropy falls at least 10×', async () => {
    const { first, last } = await train(convProblem(), 'webgpu', 30, 5e-2, 'fp16');
    expect(first / last).toBeGreaterThan(10);
  });
});

afterAll(() => console.log(report.join('\n')));
