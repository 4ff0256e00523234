// Lowering policies: precision (fp16 storage, fp16 compute with fp32 islands), hashing, external weights.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { Graph, type ParamData } from '../../main/engine/ir/graph';
import { fromHalfBits, toHalfArray } from '../../main/engine/onnx/half';
import { lower, lowerGraph, writeArtifact } from '../../main/engine/onnx/lower';
import { maxAbsDiff, randn, rng, runGraph } from './helpers';
import { expectWithin } from '../parity';

function mlpGraph(weights: ParamData, name = 'mlp'): Graph {
  const g = new Graph(name);
  const x = g.input('x', ['batch', 4]);
  const w = g.param('w', weights, { shape: [3, 4] });
  const h = g.layerNorm(g.linear(x, w), undefined, undefined, 1e-5);
  g.output('y', g.softmax(h, -1));
  return g;
}

const next = rng(11);
const wValues = Float32Array.from(randn(next, 12));
const xFeed = { x: { data: Float32Array.from(randn(next, 8)), dims: [2, 4] } };

describe('lowering', () => {
  it('hashes deterministically, and differently for other weights, precision or EP', () => {
    const a = lowerGraph(mlpGraph(wValues));
    const b = lowerGraph(mlpGraph(Float32Array.from(wValues)));
    expect(a.hash).toBe(b.hash);
    expect(a.model.graph.nodes.map((n) => n.name)).toEqual(b.model.graph.nodes.map((n) => n.name));
    const changed = Float32Array.from(wValues);
    changed[5]! += 1e-3;
    expect(lowerGraph(mlpGraph(changed)).hash).not.toBe(a.hash);
    expect(lowerGraph(mlpGraph(wValues), { precision: 'fp16' }).hash).not.toBe(a.hash);
    expect(lowerGraph(mlpGraph(wValues), { ep: 'webgpu' }).hash).not.toBe(a.hash);
  });

  it('stores fp16 weights as fp16 and casts them to fp32 for the CPU fp32 policy', async () => {
    const half = toHalfArray(wValues);
    const lowered = lowerGraph(mlpGraph(half));
    expect(lowered.model.graph.initializers.find((t) => t.name === 'w')!.dataType).toBe('float16');
    expect(lowered.model.graph.nodes.some((n) => n.opType === 'Cast' && n.inputs[0] === 'w')).toBe(true);
    const rounded = Float32Array.from(half, fromHalfBits);
    const ref = await runGraph(mlpGraph(rounded), xFeed);
    const got = await runGraph(mlpGraph(half), xFeed);
    expectWithin(
      'fp16 weights cast to fp32 vs rounded fp32 weights',
      maxAbsDiff(got.y!.data as Float32Array, ref.y!.data as Float32Array),
      1e-6,
    );
  });

  it('computes in fp16 with softmax and LayerNorm kept in fp32, float32 at the boundary', async () => {
    const lowered = lowerGraph(mlpGraph(toHalfArray(wValues)), { precision: 'fp16', ep: 'webgpu' });
    const nodes = lowered.model.graph.nodes;
    const ln = nodes.find((n) => n.opType === 'LayerNormalization')!;
    const castInto = (name: string) => nodes.find((n) => n.outputs[0] === name)!;
    expect(castInto(ln.inputs[0]!).opType).toBe('Cast');
    expect(castInto(ln.inputs[0]!).attributes!.to).toEqual({ type: 'int', value: 1 });
    expect(nodes.find((n) => n.opType === 'Gemm' || n.opType === 'MatMul')).toBeDefined();
    expect(lowered.inputs[0]!.dataType).toBe('float');
    expect(lowered.outputs[0]!.dataType).toBe('float');
    for (const ep of ['cpu', 'webgpu'] as const) {
      const fp32 = await runGraph(mlpGraph(wValues), xFeed, { ep });
      const fp16 = await runGraph(mlpGraph(toHalfArray(wValues)), xFeed, { ep, precision: 'fp16' });
      // fp16 has 11 significant bits: probabilities agree to a few 1e-3.
      expectWithin(
        `fp16 vs fp32 on ${ep}`,
        maxAbsDiff(fp16.y!.data as Float32Array, fp32.y!.data as Float32Array),
        5e-3,
      );
    }
  });

  it('streams lazily loaded weights to external data and ORT loads the file model', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'hps-lower-'));
    try {
      let loads = 0;
      const bytes = new Uint8Array(wValues.buffer.slice(0));
      const lazy = {
        storage: 'f32' as const,
        byteLength: bytes.byteLength,
        key: 'test:w:v1',
        load: async () => (loads++, bytes),
      };
      const lowered = lowerGraph(mlpGraph(lazy));
      expect(lowered.external.map((t) => t.name)).toEqual(['w']);
      expect(lowered.model.graph.initializers.some((t) => t.name === 'w')).toBe(false);
      const artifact = await writeArtifact(lowered, dir);
      expect(loads).toBe(1);
      expect(artifact.source.kind).toBe('file');
      const session = await ort.InferenceSession.create((artifact.source as { path: string }).path, {
        executionProviders: ['cpu'],
      });
      const { y } = await session.run({ x: new ort.Tensor('float32', xFeed.x.data, [2, 4]) });
      await session.release();
      const ref = await runGraph(mlpGraph(wValues), xFeed);
      expect(maxAbsDiff(y!.data as Float32Array, ref.y!.data as Float32Array)).toBe(0);
      // The lazy weight's key, not its bytes, identifies it.
      expect(lowerGraph(mlpGraph({ ...lazy, key: 'test:w:v2' })).hash).not.toBe(lowered.hash);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('names', () => {
  it('refuses user names that could collide with generated or input names', () => {
    const g = new Graph();
    expect(() => g.input('#t1', [1])).toThrow(/may only use/);
    const x = g.input('x', [1]);
    expect(() => g.input('x', [2])).toThrow(/already used/);
    g.output('x', x.exp());
    expect(() => lowerGraph(g)).toThrow(/name of a graph input/);
  });
});

describe('attention lowering variants', () => {
  function attentionGraph(): Graph {
    const g = new Graph('attn');
    const q = g.input('q', ['batch', 2, 3, 4]);
    const k = g.input('k', ['batch', 2, 5, 4]);
    const v = g.input('v', ['batch', 2, 5, 4]);
    const m = g.input('m', [3, 5]);
    g.output('y', g.attention(q, k, v, { mask: m }));
    return g;
  }
  const n = rng(5);
  const feeds = {
    q: { data: Float32Array.from(randn(n, 24)), dims: [1, 2, 3, 4] },
    k: { data: Float32Array.from(randn(n, 40)), dims: [1, 2, 5, 4] },
    v: { data: Float32Array.from(randn(n, 40)), dims: [1, 2, 5, 4] },
    m: { data: Float32Array.from(randn(n, 15)), dims: [3, 5] },
  };

  it('uses MultiHeadAttention when fused and MatMul/Softmax otherwise, with equal results', async () => {
    const fused = lowerGraph(attentionGraph(), { fusedAttention: true });
    expect(
      fused.model.graph.nodes.some((x) => x.opType === 'MultiHeadAttention' && x.domain === 'com.microsoft'),
    ).toBe(true);
    expect(fused.model.opsets).toContainEqual({ domain: 'com.microsoft', version: 1 });
    const plain = lowerGraph(attentionGraph());
    expect(plain.model.graph.nodes.some((x) => x.opType === 'Softmax')).toBe(true);
    expect(plain.model.opsets).toHaveLength(1);
    const a = await runGraph(attentionGraph(), feeds, { fusedAttention: true });
    const b = await runGraph(attentionGraph(), feeds, { fusedAttention: false });
    expect(a.y!.dims).toEqual([1, 2, 3, 4]);
    expectWithin(
      'fused vs unfused attention',
      maxAbsDiff(a.y!.data as Float32Array, b.y!.data as Float32Array),
      1e-5,
    );
  });
});

describe('GELU lowering', () => {
  it("is written in the node pattern onnxruntime's GeluFusion turns into one fused Gelu", async () => {
    const g = new Graph('gelu');
    const x = g.input('x', [2, 8]);
    g.output('y', g.gelu(x));
    const dir = await mkdtemp(path.join(os.tmpdir(), 'gelu-fusion-'));
    try {
      const optimized = path.join(dir, 'optimized.onnx');
      const bytes = lower(g).source;
      if (bytes.kind !== 'bytes') throw new Error('expected an in-memory model');
      const session = await ort.InferenceSession.create(bytes.bytes, {
        graphOptimizationLevel: 'all',
        optimizedModelFilePath: optimized,
      });
      await session.release();
      const text = (await readFile(optimized)).toString('latin1');
      expect(text).toContain('Gelu');
      expect(text).not.toContain('Erf');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
