// Integration: a small CLIP-style text transformer (symbolic batch, causal fused/unfused attention,
// QuickGELU, LoRA on q) whose LoRA gradients agree across EPs and precisions and whose loss falls.
import { describe, expect, it } from 'vitest';
import { addTrainingOutputs } from '../../main/engine/autodiff';
import { Graph, type Tensor } from '../../main/engine/ir/graph';
import { toHalfArray } from '../../main/engine/onnx/half';
import { AdamW } from '../../main/engine/optim';
import { type Ep, type HostTensor, compile, maxAbsDiff, randn, rng } from './helpers';
import { expectWithin } from '../parity';

const W = 32;
const L = 8;
const HEADS = 4;
const VOCAB = 50;
const LAYERS = 2;

function textTransformer(): Graph {
  const next = rng(99);
  const g = new Graph('text-transformer');
  const p = (name: string, shape: number[], scale = 0.2) =>
    g.param(
      name,
      toHalfArray(
        randn(
          next,
          shape.reduce((a, b) => a * b, 1),
          scale,
        ),
      ),
      { shape },
    );
  const tokens = g.input('tokens', ['batch', L], { dtype: 'i32' });
  const target = g.input('target', ['batch', W]);
  let x = g.gather(p('emb', [VOCAB, W], 1), tokens).add(p('pos', [L, W]));
  const causal = g.constant(
    Array.from({ length: L * L }, (_, i) => (i % L > Math.floor(i / L) ? -1e4 : 0)),
    [L, L],
  );
  const heads = (t: Tensor) => t.reshape([0, L, HEADS, W / HEADS]).transpose([0, 2, 1, 3]);
  for (let i = 0; i < LAYERS; i++) {
    const h = g.layerNorm(x, p(`l${i}.ln1.w`, [W], 0.1).add(1), p(`l${i}.ln1.b`, [W]));
    const loraA = g.param(`l${i}.lora_A`, Float32Array.from(randn(next, 4 * W, 0.1)), {
      shape: [4, W],
      trainable: true,
    });
    const loraB = g.param(`l${i}.lora_B`, Float32Array.from(randn(next, W * 4, 0.1)), {
      shape: [W, 4],
      trainable: true,
    });
    const q = g.linear(h, p(`l${i}.q`, [W, W])).add(g.linear(g.linear(h, loraA), loraB));
    const k = g.linear(h, p(`l${i}.k`, [W, W]));
    const v = g.linear(h, p(`l${i}.v`, [W, W]));
    const a = g.attention(heads(q), heads(k), heads(v), { mask: causal });
    x = x.add(
      g.linear(a.transpose([0, 2, 1, 3]).reshape([0, L, W]), p(`l${i}.o`, [W, W]), p(`l${i}.o.b`, [W])),
    );
    const mlp = g.linear(
      g.quickGelu(g.linear(g.layerNorm(x, undefined, undefined), p(`l${i}.fc1`, [2 * W, W]))),
      p(`l${i}.fc2`, [W, 2 * W]),
    );
    x = x.add(mlp);
  }
  // Pool the last token (the EOT position is known on the host, as with CLIP's argmax).
  const pooled = g.squeeze(g.slice(g.layerNorm(x), [L - 1], [L], [1]), [1]);
  const err = pooled.sub(target);
  g.output('pooled', pooled);
  addTrainingOutputs(g, g.meanAll(err.mul(err)));
  return g;
}

const next = rng(5);
const feeds: Record<string, HostTensor> = {
  tokens: { data: Int32Array.from({ length: 2 * L }, () => Math.floor(next() * VOCAB)), dims: [2, L] },
  target: { data: Float32Array.from(randn(next, 2 * W)), dims: [2, W] },
};

async function gradients(ep: Ep, precision: 'fp32' | 'fp16', params: Record<string, Float32Array>) {
  const session = await compile(textTransformer(), { ep, precision });
  try {
    const out = await session.run({ ...feeds, ...paramFeeds(params) });
    return out;
  } finally {
    await session.release();
  }
}

function paramFeeds(params: Record<string, Float32Array>): Record<string, HostTensor> {
  return Object.fromEntries(
    Object.entries(params).map(([k, v]) => [k, { data: v, dims: k.endsWith('lora_A') ? [4, W] : [W, 4] }]),
  );
}

describe('CLIP-style text transformer with LoRA', () => {
  const params = textTransformer().initialValues();

  it('gives the same LoRA gradients on cpu and webgpu (fused attention), and close ones under fp16', async () => {
    const cpu = await gradients('cpu', 'fp32', params);
    const gpu = await gradients('webgpu', 'fp32', params);
    const half = await gradients('webgpu', 'fp16', params);
    const diffs = Object.keys(params).map((name) => {
      const ref = cpu[`grad/${name}`]!.data as Float32Array;
      const scale = Math.max(...Array.from(ref, Math.abs));
      expect(scale).toBeGreaterThan(0);
      return {
        gpu: maxAbsDiff(gpu[`grad/${name}`]!.data as Float32Array, ref) / scale,
        half: maxAbsDiff(half[`grad/${name}`]!.data as Float32Array, ref) / scale,
      };
    });
    const worst = (key: 'gpu' | 'half') => Math.max(...diffs.map((d) => d[key]));
    expectWithin('LoRA grads on webgpu fp32 vs cpu fp32', worst('gpu'), 1e-3);
    // fp16 activations carry 11 significant bits through 2 layers and the backward pass.
    expectWithin('LoRA grads on webgpu fp16 vs cpu fp32', worst('half'), 5e-2);
  });

  it('trains the LoRA matrices only: the loss to a reachable target falls at least 5× on cpu', async () => {
    const session = await compile(textTransformer(), { ep: 'cpu' });
    const run = (p: Record<string, Float32Array>, target: HostTensor) =>
      session.run({ ...feeds, target, ...paramFeeds(p) });
    // The target is the network's own output under other LoRA weights, so the LoRA alone can reach it.
    const teacherNext = rng(7);
    const teacher = Object.fromEntries(
      Object.entries(params).map(([k, v]) => [k, Float32Array.from(randn(teacherNext, v.length, 0.4))]),
    );
    const target = (await run(teacher, feeds.target!)).pooled!;
    const trained = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, Float32Array.from(v)]));
    const opt = new AdamW({ lr: 2e-2, weightDecay: 0 });
    const losses: number[] = [];
    try {
      for (let step = 0; step < 60; step++) {
        const out = await run(trained, target);
        losses.push((out.loss!.data as Float32Array)[0]!);
        opt.step(
          trained,
          Object.fromEntries(Object.keys(trained).map((k) => [k, out[`grad/${k}`]!.data as Float32Array])),
        );
      }
    } finally {
      await session.release();
    }
    console.log(
      `text transformer LoRA: loss ${losses[0]!.toFixed(4)} → ${Math.min(...losses.slice(-5)).toExponential(2)}`,
    );
    expect(losses[0]! / Math.min(...losses.slice(-5))).toBeGreaterThan(5);
  });
});
