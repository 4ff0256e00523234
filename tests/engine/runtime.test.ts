import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseProfile, SessionCache, type SessionRequest, type TensorMap } from '../../main/engine/runtime';
import type { ModelArtifact } from '../../main/engine/onnx/artifact';
import { writeExternalDataModel } from '../../main/engine/onnx/external-data';
import { PROFILE_DIR } from '../../main/engine/runtime/profile';
import { artifactOf, dtypeModel, groupNormModel, matmulChain, mixedModel, mlpModel } from './runtime-models';
import { maxAbsDiff } from './helpers';
import { expectWithin } from '../parity';

const mlp = artifactOf(mlpModel());
const mixed = artifactOf(mixedModel());
const X: TensorMap = {
  x: { dtype: 'float32', data: Float32Array.from({ length: 8 }, (_, i) => (i - 3.5) / 4), dims: [2, 4] },
};

/** tanh(x·W + b)·2 in float64, from the model's own constants. */
function mlpReference(x: Float32Array): number[] {
  const w = (i: number) => Math.fround(Math.sin(i + 1) / 2);
  const b = (j: number) => Math.fround(0.1 * j - 0.1);
  const out: number[] = [];
  for (let r = 0; r < 2; r++) {
    for (let c = 0; c < 3; c++) {
      let s = b(c);
      for (let k = 0; k < 4; k++) s += x[r * 4 + k]! * w(k * 3 + c);
      out.push(2 * Math.tanh(s));
    }
  }
  return out;
}

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, tol: number): void {
  expect(got.length).toBe(want.length);
  expectWithin('session output vs JS reference, max |Δ|', maxAbsDiff(got, want), tol);
}

let cacheDir: string;
let cache: SessionCache;
beforeAll(async () => {
  cacheDir = await mkdtemp(path.join(os.tmpdir(), 'hps-runtime-'));
  cache = new SessionCache({ cacheDir });
});
afterAll(async () => {
  await cache.clear();
  await rm(cacheDir, { recursive: true, force: true });
});

describe('SessionCache', () => {
  it('a cache hit returns the same session; another EP gets another session', async () => {
    const cpu: SessionRequest = { hash: mlp.hash, ep: 'cpu' };
    const a = await cache.get(cpu, mlp);
    const b = await cache.get(cpu, () => {
      throw new Error('the factory must not run on a hit');
    });
    expect(b).toBe(a);
    const gpu = await cache.get({ hash: mlp.hash, ep: 'webgpu' }, mlp);
    expect(gpu).not.toBe(a);
    expect(gpu.report().ep).toBe('webgpu');
    await Promise.all([a.release(), b.release(), gpu.release()]);
  });

  it('runs typed arrays and matches a hand computation on cpu and webgpu', async () => {
    const want = mlpReference(X.x!.data as Float32Array);
    for (const ep of ['cpu', 'webgpu'] as const) {
      const s = await cache.get({ hash: mlp.hash, ep }, mlp);
      const { y } = await s.run(X);
      expect(y!.dtype).toBe('float32');
      expect(y!.dims).toEqual([2, 3]);
      expectClose(y!.data as Float32Array, want, 1e-5);
      await s.release();
    }
  });

  it("runs without ORT's CPU memory arena (as training steps do) and matches the hand computation", async () => {
    const own = new SessionCache();
    try {
      const s = await own.get({ hash: mlp.hash, ep: 'cpu', cpuMemArena: false }, mlp);
      expectClose((await s.run(X)).y!.data as Float32Array, mlpReference(X.x!.data as Float32Array), 1e-5);
      await s.release();
    } finally {
      await own.clear();
    }
  });

  it('falls back from an unavailable EP (cuda) to cpu and says why', async () => {
    const s = await cache.get({ hash: mlp.hash, ep: 'cuda', fallback: ['cpu'] }, mlp);
    const report = s.report();
    expect(report.requested).toBe('cuda');
    expect(report.ep).toBe('cpu');
    expect(report.attempts.map((a) => a.ep)).toEqual(['cuda']);
    expect(report.attempts[0]!.error.length).toBeGreaterThan(0);
    const { y } = await s.run(X);
    expectClose(y!.data as Float32Array, mlpReference(X.x!.data as Float32Array), 1e-5);
    await s.release();
  });

  it('reports the nodes the WebGPU EP left to the CPU (an int64 Add), from the profiled first run', async () => {
    const s = await cache.get({ hash: mixed.hash, ep: 'webgpu' }, mixed);
    expect(s.report().placement).toBe('pending');
    const out = await s.run({
      x: { dtype: 'float32', data: Float32Array.of(1, 2, 3), dims: [3] },
      n: { dtype: 'int64', data: BigInt64Array.of(1n, -2n, 3n), dims: [3] },
    });
    expect(Array.from(out.y!.data as Float32Array)).toEqual([1, 4, 9]);
    expect(Array.from(out.m!.data as BigInt64Array)).toEqual([2n, -4n, 6n]);
    const report = s.report();
    expect(report.ep).toBe('webgpu');
    expect(report.placement).toBe('known');
    expect(report.fallbackNodes).toEqual([{ name: 'int_add', opType: 'Add' }]);
    expect(report.nodesByProvider.webgpu).toBeGreaterThanOrEqual(1);
    expect((await readdir(PROFILE_DIR)).filter((n) => n.startsWith(`${process.pid}_`))).toEqual([]);
    await s.release();
  });

  it('passes float16, int32 and bool tensors both ways, and fetches only the outputs asked for', async () => {
    const dtypes = artifactOf(dtypeModel());
    const s = await cache.get({ hash: dtypes.hash, ep: 'cpu' }, dtypes);
    const feeds: TensorMap = {
      h: { dtype: 'float16', data: Uint16Array.of(0x3c00, 0xc000, 0x3800), dims: [3] }, // 1, -2, 0.5
      i: { dtype: 'int32', data: Int32Array.of(1, -3, 7), dims: [3] },
    };
    const out = await s.run(feeds);
    expect(out.hf).toEqual({ dtype: 'float32', data: Float32Array.of(1, -2, 0.5), dims: [3] });
    expect(out.pos!.dtype).toBe('bool');
    expect(Array.from(out.pos!.data as Uint8Array)).toEqual([1, 0, 1]);
    expect(out.ih!.dtype).toBe('float16');
    expect(Array.from(out.ih!.data as Uint16Array)).toEqual([0x3c00, 0xc200, 0x4700]); // 1, -3, 7
    expect(out.i2).toEqual({ dtype: 'int32', data: Int32Array.of(2, -6, 14), dims: [3] });
    expect(Object.keys(await s.run(feeds, { outputs: ['i2'] }))).toEqual(['i2']);
    await s.release();
  });

  it('GroupNormalization on webgpu equals cpu and reports its CPU-placed nodes', async () => {
    const gn = artifactOf(groupNormModel());
    const feeds: TensorMap = {
      x: {
        dtype: 'float32',
        data: Float32Array.from({ length: 12 }, (_, i) => Math.sin(i) * 3),
        dims: [1, 4, 3],
      },
    };
    const cpu = await cache.get({ hash: gn.hash, ep: 'cpu' }, gn);
    const gpu = await cache.get({ hash: gn.hash, ep: 'webgpu' }, gn);
    const want = (await cpu.run(feeds)).y!.data as Float32Array;
    expectClose((await gpu.run(feeds)).y!.data as Float32Array, Array.from(want), 1e-4);
    const report = gpu.report();
    expect(report.ep).toBe('webgpu');
    expect(report.fallbackNodes.length).toBeGreaterThan(0);
    expect(report.nodesByProvider.cpu).toBe(report.fallbackNodes.length);
    expect(report.nodesByProvider.webgpu).toBeGreaterThan(0);
    await Promise.all([cpu.release(), gpu.release()]);
  });

  it('a new cache over the same folder loads the persisted model without building the artifact', async () => {
    const second = new SessionCache({ cacheDir });
    try {
      expect(await second.cachedModelPath({ hash: mlp.hash })).toBeDefined();
      const s = await second.get({ hash: mlp.hash, ep: 'cpu' }, () => {
        throw new Error('the factory must not run when the disk cache has the model');
      });
      expect(s.report().source).toBe('disk-cache');
      const { y } = await s.run(X);
      expectClose(y!.data as Float32Array, mlpReference(X.x!.data as Float32Array), 1e-5);
      await s.release();
    } finally {
      await second.clear();
    }
  });

  it('caches the optimized graph per EP and loads it on the next start', async () => {
    const request: SessionRequest = {
      hash: mlp.hash,
      ep: 'cpu',
      precision: 'fp32',
      optimizedModelCache: true,
    };
    const first = new SessionCache({ cacheDir });
    const second = new SessionCache({ cacheDir });
    try {
      const a = await first.get(request, mlp);
      expect(a.report().optimizedModel).toBe('written');
      const b = await second.get(request, mlp);
      expect(b.report().optimizedModel).toBe('loaded');
      expect((await b.run(X)).y!.data).toEqual((await a.run(X)).y!.data);
    } finally {
      await Promise.all([first.clear(), second.clear()]);
    }
  });

  it('loads a file artifact with external data from its path', async () => {
    const m = mlpModel();
    const written = await writeExternalDataModel({
      dir: cacheDir,
      model: m,
      modelFileName: 'mlp-ext.onnx',
      externalizeAbove: 16,
    });
    expect(written.tensors.map((t) => t.name)).toEqual(['w']);
    const artifact: ModelArtifact = {
      hash: 'mlp-ext',
      source: { kind: 'file', path: written.modelPath },
      inputs: m.graph.inputs,
      outputs: m.graph.outputs,
    };
    const s = await cache.get({ hash: artifact.hash, ep: 'cpu' }, artifact);
    expect(s.report().source).toBe('artifact');
    const { y } = await s.run(X);
    expectClose(y!.data as Float32Array, mlpReference(X.x!.data as Float32Array), 1e-5);
    await s.release();
  });

  it('keeps at most maxIdleSessions idle sessions, dropping the least recently used', async () => {
    const small = new SessionCache({ maxIdleSessions: 1 });
    const a = await small.get({ hash: mlp.hash, ep: 'cpu' }, mlp);
    const b = await small.get({ hash: mixed.hash, ep: 'cpu' }, mixed);
    await a.release();
    expect(a.isReleased).toBe(false); // one idle session is allowed
    await b.release();
    expect(a.isReleased).toBe(true);
    expect(b.isReleased).toBe(false);
    expect(small.has({ hash: mlp.hash, ep: 'cpu' })).toBe(false);
    await small.clear();
    expect(b.isReleased).toBe(true);
  });

  it('rejects bad inputs with clear messages', async () => {
    const s = await cache.get({ hash: mlp.hash, ep: 'cpu' }, mlp);
    await expect(s.run({ x: { dtype: 'int32', data: new Int32Array(8), dims: [2, 4] } })).rejects.toThrow(
      /must be float32/,
    );
    await expect(s.run({ x: { dtype: 'float32', data: new Float32Array(7), dims: [2, 4] } })).rejects.toThrow(
      /need 8 elements/,
    );
    await expect(s.run({})).rejects.toThrow(/missing input "x"/);
    await expect(s.run({ ...X, z: X.x! })).rejects.toThrow(/unknown input "z"/);
    await expect(cache.get({ hash: '../etc' }, mlp)).rejects.toThrow(/hash/);
    await s.release();
  });
});

describe('cancellation', () => {
  const chain = artifactOf(matmulChain(8, 192));
  const feeds: TensorMap = {
    x: { dtype: 'float32', data: new Float32Array(192 * 192).fill(0.5), dims: [192, 192] },
  };

  it('an already aborted signal rejects without running', async () => {
    const s = await cache.get({ hash: chain.hash, ep: 'cpu' }, chain);
    await expect(s.run(feeds, { signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
    expect(s.report().runs).toBe(0);
    await s.release();
  });

  it('aborting a queued run rejects it with an AbortError and drops it; the running one completes', async () => {
    const s = await cache.get({ hash: chain.hash, ep: 'cpu' }, chain);
    const controller = new AbortController();
    const first = s.run(feeds);
    const second = s.run(feeds, { signal: controller.signal });
    controller.abort();
    await expect(second).rejects.toMatchObject({ name: 'AbortError' });
    const { y } = await first;
    expect(y!.dims).toEqual([192, 192]);
    expect(s.report().runs).toBe(1);
    await s.release();
  });
});

describe('parseProfile', () => {
  it('reads node placement from kernel-time events only, with short EP names', () => {
    const trace = JSON.stringify([
      { cat: 'Session', name: 'session_initialization', args: {} },
      { cat: 'Node', name: 'mm_fence_before', args: { provider: 'CPUExecutionProvider', op_name: 'MatMul' } },
      {
        cat: 'Node',
        name: 'mm_kernel_time',
        args: { provider: 'WebGpuExecutionProvider', op_name: 'MatMul' },
      },
      {
        cat: 'Node',
        name: 'shape_kernel_time',
        args: { provider: 'CPUExecutionProvider', op_name: 'Shape' },
      },
      {
        cat: 'Node',
        name: 'mm_kernel_time',
        args: { provider: 'WebGpuExecutionProvider', op_name: 'MatMul' },
      },
      { cat: 'Api', name: 'mm&MatMul', args: {} },
    ]);
    expect(parseProfile(trace)).toEqual([
      { name: 'mm', opType: 'MatMul', provider: 'webgpu' },
      { name: 'shape', opType: 'Shape', provider: 'cpu' },
    ]);
    expect(() => parseProfile('{}')).toThrow(/JSON array/);
  });
});
