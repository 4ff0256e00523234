// Finite-difference checks of every op's gradient rule (float64 on the CPU EP where ORT has double
// kernels, float32 otherwise), including broadcasting cases. Prints the measured errors.
import { afterAll, describe, it } from 'vitest';
import type { Graph, Tensor } from '../../main/engine/ir/graph';
import { type InputSpec, compareGradients, gradCheck } from './helpers';
import { expectWithin } from '../parity';

/**
 * Tolerances on max|fd − analytic| / max|analytic|. float64: central differences with h = 1e-6 leave
 * ~1e-9 truncation and ~1e-10 rounding error, so 1e-6 is a wide margin. float32: h = 1e-2 (the loss is
 * summed in double from float32 outputs) gives ~1e-4 truncation plus ~1e-5 rounding; 1e-2 still fails
 * any wrong rule, which is off by O(1).
 */
const TOLERANCE = { fp64: 1e-6, fp32: 1e-2 } as const;

interface Case {
  name: string;
  inputs: InputSpec[];
  build: (g: Graph, x: Record<string, Tensor>) => Tensor;
  step?: number;
  tolerance?: number;
}

const f = (name: string, shape: number[], values?: number[]): InputSpec => ({ name, shape, values });
const positive = (name: string, shape: number[], seed = 3): InputSpec => ({
  name,
  shape,
  values: Array.from(
    { length: shape.reduce((a, b) => a * b, 1) },
    (_, i) => 0.5 + ((i * 7919 + seed * 104729) % 97) / 97,
  ),
});
/** Values at least 0.1 away from 0 and from each other (kinks of Abs/Relu, ties of Max). */
const spread = (name: string, shape: number[]): InputSpec => {
  const n = shape.reduce((a, b) => a * b, 1);
  const order = Array.from({ length: n }, (_, i) => (i * 37) % n);
  return { name, shape, values: order.map((k) => (k - n / 2 + 0.5) * 0.23) };
};

const cases: Case[] = [
  {
    name: 'Add broadcast [2,3]+[3]',
    inputs: [f('a', [2, 3]), f('b', [3])],
    build: (g, x) => g.add(x.a!, x.b!),
  },
  {
    name: 'Add broadcast [2,1,3]+[4,1]',
    inputs: [f('a', [2, 1, 3]), f('b', [4, 1])],
    build: (g, x) => g.add(x.a!, x.b!),
  },
  {
    name: 'Sub broadcast [3]-[2,3]',
    inputs: [f('a', [3]), f('b', [2, 3])],
    build: (g, x) => g.sub(x.a!, x.b!),
  },
  {
    name: 'Mul broadcast [2,3]*[2,1]',
    inputs: [f('a', [2, 3]), f('b', [2, 1])],
    build: (g, x) => g.mul(x.a!, x.b!),
  },
  {
    name: 'Div broadcast [2,3]/[3]',
    inputs: [f('a', [2, 3]), positive('b', [3])],
    build: (g, x) => g.div(x.a!, x.b!),
  },
  { name: 'Pow [2,3]^[3]', inputs: [positive('a', [2, 3]), f('b', [3])], build: (g, x) => g.pow(x.a!, x.b!) },
  { name: 'Sqrt', inputs: [positive('a', [2, 3])], build: (g, x) => g.sqrt(x.a!) },
  { name: 'Exp', inputs: [f('a', [2, 3])], build: (g, x) => g.exp(x.a!) },
  { name: 'Log', inputs: [positive('a', [2, 3])], build: (g, x) => g.log(x.a!) },
  { name: 'Neg', inputs: [f('a', [2, 3])], build: (g, x) => g.neg(x.a!) },
  { name: 'Abs', inputs: [spread('a', [2, 3])], build: (g, x) => g.abs(x.a!) },
  { name: 'Sin', inputs: [f('a', [2, 3])], build: (g, x) => g.sin(x.a!) },
  { name: 'Cos', inputs: [f('a', [2, 3])], build: (g, x) => g.cos(x.a!) },
  { name: 'Clip [-0.5, 0.6]', inputs: [spread('a', [2, 4])], build: (g, x) => g.clip(x.a!, -0.5, 0.6) },
  { name: 'Relu', inputs: [spread('a', [2, 3])], build: (g, x) => g.relu(x.a!) },
  { name: 'Sigmoid', inputs: [f('a', [2, 3])], build: (g, x) => g.sigmoid(x.a!) },
  { name: 'Tanh', inputs: [f('a', [2, 3])], build: (g, x) => g.tanh(x.a!) },
  { name: 'Erf', inputs: [f('a', [2, 3])], build: (g, x) => g.erf(x.a!) },
  { name: 'GELU (erf)', inputs: [f('a', [2, 3])], build: (g, x) => g.gelu(x.a!) },
  { name: 'QuickGELU', inputs: [f('a', [2, 3])], build: (g, x) => g.quickGelu(x.a!) },
  { name: 'SiLU', inputs: [f('a', [2, 3])], build: (g, x) => g.silu(x.a!) },
  {
    name: 'Where broadcast',
    inputs: [
      { name: 'c', shape: [2, 3], dtype: 'bool', values: [1, 0, 1, 0, 0, 1] },
      f('a', [2, 3]),
      f('b', [3]),
    ],
    build: (g, x) => g.where(x.c!, x.a!, x.b!),
  },
  // Values and step are multiples of 1/64, exact in fp16, so the forward round trip is exactly linear;
  // the gradient itself passes through fp16, so it is only as exact as fp16 (2⁻¹¹ relative).
  {
    name: 'Cast f32→f16→f32',
    inputs: [f('a', [2, 3], [0.5, -1.25, 2, 0.75, -0.5, 1.5])],
    build: (g, x) => g.cast(g.cast(x.a!, 'f16'), 'f32'),
    step: 1 / 64,
    tolerance: 2 ** -10,
  },
  {
    name: 'MatMul [2,3]@[3,4]',
    inputs: [f('a', [2, 3]), f('b', [3, 4])],
    build: (g, x) => g.matmul(x.a!, x.b!),
  },
  {
    name: 'MatMul batched broadcast [2,2,3]@[3,2]',
    inputs: [f('a', [2, 2, 3]), f('b', [3, 2])],
    build: (g, x) => g.matmul(x.a!, x.b!),
  },
  {
    name: 'MatMul batched broadcast [2,1,2,3]@[3,3,2]',
    inputs: [f('a', [2, 1, 2, 3]), f('b', [3, 3, 2])],
    build: (g, x) => g.matmul(x.a!, x.b!),
  },
  {
    name: 'Gemm transB + bias [4]',
    inputs: [f('a', [2, 3]), f('w', [4, 3]), f('c', [4])],
    build: (g, x) => g.gemm(x.a!, x.w!, x.c!, { transB: true, alpha: 0.7, beta: 1.3 }),
  },
  {
    name: 'Gemm transA',
    inputs: [f('a', [3, 2]), f('b', [3, 4])],
    build: (g, x) => g.gemm(x.a!, x.b!, undefined, { transA: true }),
  },
  {
    name: 'Gemm transA transB + bias [2,1]',
    inputs: [f('a', [3, 2]), f('b', [4, 3]), f('c', [2, 1])],
    build: (g, x) => g.gemm(x.a!, x.b!, x.c!, { transA: true, transB: true }),
  },
  {
    name: 'Linear rank 3',
    inputs: [f('x', [2, 2, 3]), f('w', [4, 3]), f('b', [4])],
    build: (g, x) => g.linear(x.x!, x.w!, x.b!),
  },
  {
    name: 'Conv 3x3 pad 1',
    inputs: [f('x', [1, 2, 4, 4]), f('w', [3, 2, 3, 3]), f('b', [3])],
    build: (g, x) => g.conv(x.x!, x.w!, x.b!, { pad: 1 }),
  },
  {
    name: 'Conv stride 2 (odd size)',
    inputs: [f('x', [2, 2, 5, 5]), f('w', [2, 2, 3, 3])],
    build: (g, x) => g.conv(x.x!, x.w!, undefined, { stride: 2, pad: 1 }),
  },
  {
    name: 'Conv dilation 2, asymmetric pad',
    inputs: [f('x', [1, 1, 5, 6]), f('w', [2, 1, 2, 2])],
    build: (g, x) => g.conv(x.x!, x.w!, undefined, { dilation: 2, pad: [1, 0, 0, 1] }),
  },
  {
    name: 'Conv groups 2, stride 2',
    inputs: [f('x', [2, 4, 5, 5]), f('w', [6, 2, 3, 3]), f('b', [6])],
    build: (g, x) => g.conv(x.x!, x.w!, x.b!, { groups: 2, stride: 2, pad: 1 }),
  },
  {
    name: 'Conv depthwise (groups = C)',
    inputs: [f('x', [1, 3, 4, 4]), f('w', [3, 1, 3, 3])],
    build: (g, x) => g.conv(x.x!, x.w!, undefined, { groups: 3, pad: 1 }),
  },
  {
    name: 'Conv1d stride 2, pad 1',
    inputs: [f('x', [2, 2, 7]), f('w', [3, 2, 3]), f('b', [3])],
    build: (g, x) => g.conv(x.x!, x.w!, x.b!, { stride: 2, pad: 1 }),
  },
  { name: 'Softmax axis -1', inputs: [f('a', [2, 4])], build: (g, x) => g.softmax(x.a!, -1) },
  { name: 'LogSoftmax axis -1', inputs: [f('a', [2, 4])], build: (g, x) => g.logSoftmax(x.a!, -1) },
  { name: 'Softmax axis 0', inputs: [f('a', [3, 2])], build: (g, x) => g.softmax(x.a!, 0) },
  {
    name: 'LayerNorm affine',
    inputs: [f('x', [2, 3, 4]), f('w', [4]), f('b', [4])],
    build: (g, x) => g.layerNorm(x.x!, x.w!, x.b!, 1e-5),
  },
  {
    name: 'LayerNorm over 2 axes, no affine',
    inputs: [f('x', [2, 2, 3])],
    build: (g, x) => g.layerNorm(x.x!, undefined, undefined, 1e-5, 1),
  },
  {
    name: 'GroupNorm 2 groups affine',
    inputs: [f('x', [2, 4, 2, 2]), f('w', [4]), f('b', [4])],
    build: (g, x) => g.groupNorm(x.x!, 2, x.w!, x.b!),
  },
  {
    name: 'Reshape',
    inputs: [f('a', [2, 6])],
    build: (g, x) => g.mul(g.reshape(x.a!, [3, -1]), g.constant([1, 2, 3, 4], [4])),
  },
  { name: 'Transpose', inputs: [f('a', [2, 3, 4])], build: (g, x) => g.transpose(x.a!, [2, 0, 1]) },
  { name: 'Slice', inputs: [f('a', [4, 5])], build: (g, x) => g.slice(x.a!, [1, -4], [3, 4], [0, 1]) },
  {
    name: 'Concat',
    inputs: [f('a', [2, 3]), f('b', [2, 2])],
    build: (g, x) => g.concat([x.a!, x.b!, x.a!], 1),
  },
  {
    name: 'Split',
    inputs: [f('a', [2, 5])],
    build: (g, x) => {
      const [p, q] = g.split(x.a!, [2, 3], 1);
      return g.matmul(g.transpose(p!, [1, 0]), q!);
    },
  },
  {
    name: 'Gather rows (repeated indices)',
    inputs: [f('e', [5, 3]), { name: 'i', shape: [2, 3], dtype: 'i32', values: [0, 3, 3, 4, 0, 1] }],
    build: (g, x) => g.gather(x.e!, x.i!),
  },
  {
    name: 'Gather axis 1 (repeated indices)',
    inputs: [f('e', [2, 4, 3]), { name: 'i', shape: [3], dtype: 'i32', values: [3, 0, 3] }],
    build: (g, x) => g.gather(x.e!, x.i!, 1),
  },
  {
    name: 'Unsqueeze/Squeeze',
    inputs: [f('a', [2, 3])],
    build: (g, x) => g.mul(g.squeeze(g.unsqueeze(x.a!, [0, 2]), [0]), g.constant([1, 2, 3], [3])),
  },
  { name: 'Expand', inputs: [f('a', [3, 1])], build: (g, x) => g.expand(x.a!, [2, 3, 4]) },
  { name: 'Pad', inputs: [f('a', [2, 3])], build: (g, x) => g.pad(x.a!, [1, 0, 0, 2]) },
  { name: 'ReduceSum axes [0,2]', inputs: [f('a', [2, 3, 2])], build: (g, x) => g.sum(x.a!, [0, 2]) },
  { name: 'ReduceSum keepdims', inputs: [f('a', [2, 3])], build: (g, x) => g.sum(x.a!, [1], true) },
  { name: 'ReduceSum no axes = identity', inputs: [f('a', [2, 3])], build: (g, x) => g.sum(x.a!, []) },
  { name: 'ReduceMean', inputs: [f('a', [2, 3, 2])], build: (g, x) => g.mean(x.a!, [1]) },
  { name: 'ReduceMax', inputs: [spread('a', [2, 3, 2])], build: (g, x) => g.max(x.a!, [1, 2]) },
  { name: 'Upsample nearest ×2', inputs: [f('a', [1, 2, 2, 3])], build: (g, x) => g.upsample(x.a!, 2) },
  {
    name: 'Attention [2,2,3,4] heads, per-batch mask [2,1,3,5]',
    inputs: [f('q', [2, 2, 3, 4]), f('k', [2, 2, 5, 4]), f('v', [2, 2, 5, 3]), f('m', [2, 1, 3, 5])],
    build: (g, x) => g.attention(x.q!, x.k!, x.v!, { mask: x.m!, scale: 0.3 }),
  },
  {
    name: 'Attention with mask',
    inputs: [f('q', [2, 3, 4]), f('k', [2, 5, 4]), f('v', [2, 5, 2]), f('m', [3, 5])],
    build: (g, x) => g.attention(x.q!, x.k!, x.v!, { mask: x.m! }),
  },
];

/** A pre-norm CLIP-style transformer block (2 heads, causal mask, QuickGELU MLP) on [1, 3, 4]. */
function transformerBlock(g: Graph, x: Record<string, Tensor>): Tensor {
  const heads = (t: Tensor) => g.transpose(g.reshape(t, [0, 3, 2, 2]), [0, 2, 1, 3]);
  const h = g.layerNorm(x.x!, x.ln1w!, x.ln1b!);
  const [q, k, v] = g.split(g.linear(h, x.wqkv!, x.bqkv!), [4, 4, 4], -1).map(heads);
  const causal = g.constant([0, -1e4, -1e4, 0, 0, -1e4, 0, 0, 0], [3, 3]);
  const a = g.reshape(g.transpose(g.attention(q!, k!, v!, { mask: causal }), [0, 2, 1, 3]), [0, 3, 4]);
  const r = g.add(x.x!, g.linear(a, x.wo!, x.bo!));
  const m = g.linear(g.quickGelu(g.linear(g.layerNorm(r, x.ln2w!, x.ln2b!), x.w1!, x.b1!)), x.w2!, x.b2!);
  return g.add(r, m);
}

cases.push({
  name: 'transformer block (LN, MHA, QuickGELU MLP)',
  inputs: [
    f('x', [1, 3, 4]),
    f('ln1w', [4]),
    f('ln1b', [4]),
    f('wqkv', [12, 4]),
    f('bqkv', [12]),
    f('wo', [4, 4]),
    f('bo', [4]),
    f('ln2w', [4]),
    f('ln2b', [4]),
    f('w1', [8, 4]),
    f('b1', [8]),
    f('w2', [4, 8]),
    f('b2', [4]),
  ],
  build: transformerBlock,
});

/**
 * A UNet-style block: sinusoidal timestep embedding, conv → GroupNorm → SiLU resnet with the embedding
 * added, cross-attention to a context, nearest upsample and a concatenated skip.
 */
function unetBlock(g: Graph, x: Record<string, Tensor>): Tensor {
  const freqs = g.constant([1, 0.1], [2]);
  const angles = g.mul(x.t!, freqs);
  const temb = g.linear(g.silu(g.concat([g.sin(angles), g.cos(angles)], 1)), x.wt!, x.bt!);
  let h = g.conv(g.silu(g.groupNorm(x.x!, 2, x.gn1w!, x.gn1b!)), x.c1!, x.c1b!, { pad: 1 });
  h = g.add(h, g.reshape(temb, [1, 2, 1, 1]));
  // One group over both channels: with a group per channel, the per-channel timestep/bias offsets would be
  // normalised away and their true gradients would be zero.
  h = g.conv(g.silu(g.groupNorm(h, 1)), x.c2!, undefined, { pad: 1 });
  const r = g.add(x.x!, h);
  const seq = g.transpose(g.reshape(r, [1, 2, 9]), [0, 2, 1]);
  const attn = g.attention(g.linear(seq, x.wq!), g.linear(x.ctx!, x.wk!), g.linear(x.ctx!, x.wv!));
  const back = g.reshape(g.transpose(g.add(seq, attn), [0, 2, 1]), [1, 2, 3, 3]);
  return g.concat([g.upsample(back, 2), g.upsample(x.x!, 2)], 1);
}

cases.push({
  name: 'UNet block (temb, resnet, cross-attn, upsample, skip)',
  inputs: [
    f('x', [1, 2, 3, 3]),
    f('t', [1, 1], [3]),
    f('wt', [2, 4]),
    f('bt', [2]),
    f('gn1w', [2]),
    f('gn1b', [2]),
    f('c1', [2, 2, 3, 3]),
    f('c1b', [2]),
    f('c2', [2, 2, 3, 3]),
    f('ctx', [1, 2, 3]),
    f('wq', [2, 2]),
    f('wk', [2, 3]),
    f('wv', [2, 3]),
  ],
  build: unetBlock,
});

describe('gradient rules vs central finite differences', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const r = await gradCheck(c.inputs, c.build, c.step);
      expectWithin(
        `${c.name} (${r.precision}) vs finite differences`,
        r.maxError,
        c.tolerance ?? TOLERANCE[r.precision],
      );
    });
  }
});

/** lavapipe's float32 kernels sum in other orders than ORT's CPU ones; 1e-3 of the gradient's scale still catches a wrong kernel. */
const WEBGPU_TOLERANCE = 1e-3;

describe('gradient graphs on webgpu match cpu (float32)', () => {
  const placed = new Map<string, Set<string>>();
  let worst = { error: 0, name: '' };
  for (const c of cases) {
    it(c.name, async () => {
      const r = await compareGradients(c.inputs, c.build, 'webgpu');
      for (const p of r.placements) {
        if (!placed.has(p.opType)) placed.set(p.opType, new Set());
        placed.get(p.opType)!.add(p.provider);
      }
      if (r.maxError >= worst.error) worst = { error: r.maxError, name: c.name };
      expectWithin(`${c.name} gradients on webgpu vs cpu`, r.maxError, WEBGPU_TOLERANCE);
    });
  }
  afterAll(() => {
    const line = (ep: string) =>
      [...placed]
        .filter(([, eps]) => eps.has(ep))
        .map(([op]) => op)
        .sort()
        .join(' ');
    console.log(
      `webgpu vs cpu gradients: max rel diff ${worst.error.toExponential(2)} (${worst.name})\n` +
        `webgpu EP ran natively: ${line('webgpu')}\nfell back to cpu: ${line('cpu') || 'nothing'}`,
    );
  });
});
