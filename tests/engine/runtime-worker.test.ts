import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { RuntimeWorker, SessionCache, type TensorMap } from '../../main/engine/runtime';
import { artifactOf, matmulChain, mixedModel, mlpModel } from './runtime-models';

const mlp = artifactOf(mlpModel());
const X: TensorMap = {
  x: { dtype: 'float32', data: Float32Array.from({ length: 8 }, (_, i) => Math.cos(i)), dims: [2, 4] },
};

let cacheDir: string;
let worker: RuntimeWorker;
beforeAll(async () => {
  cacheDir = await mkdtemp(path.join(os.tmpdir(), 'hps-runtime-worker-'));
  worker = new RuntimeWorker({ cacheDir });
});
afterAll(async () => {
  await worker.close();
  await rm(cacheDir, { recursive: true, force: true });
});

describe('RuntimeWorker', () => {
  it('a worker run equals the in-process run', async () => {
    const local = new SessionCache();
    const inProcess = await local.get({ hash: mlp.hash, ep: 'cpu' }, mlp);
    const want = await inProcess.run(X);
    await local.clear();

    const remote = await worker.open({ hash: mlp.hash, ep: 'cpu' }, mlp);
    expect(remote.inputs.map((i) => i.name)).toEqual(['x']);
    const got = await remote.run(X);
    expect(got.y!.dtype).toBe('float32');
    expect(got.y!.dims).toEqual([2, 3]);
    expect(Array.from(got.y!.data as Float32Array)).toEqual(Array.from(want.y!.data as Float32Array));
    await remote.release();
  });

  it('sends the artifact only when the worker caches miss', async () => {
    let built = 0;
    const factory = () => {
      built += 1;
      return mlp;
    };
    const a = await worker.open({ hash: mlp.hash, ep: 'cpu' }, factory);
    expect(built).toBe(0); // opened by the previous test: persisted on disk and cached in memory
    const gpu = await worker.open({ hash: mlp.hash, ep: 'webgpu' }, factory);
    expect(built).toBe(0); // another EP, but the model file is on disk
    expect((await gpu.report()).ep).toBe('webgpu');
    await Promise.all([a.release(), gpu.release()]);
  });

  it('reports placement and int64 tensors across the thread boundary, with transferred inputs', async () => {
    const mixed = artifactOf(mixedModel());
    const remote = await worker.open({ hash: mixed.hash, ep: 'webgpu' }, mixed);
    const n = BigInt64Array.of(5n, 6n, 7n);
    const out = await remote.run(
      {
        x: { dtype: 'float32', data: Float32Array.of(-1, 0.5, 2), dims: [3] },
        n: { dtype: 'int64', data: n, dims: [3] },
      },
      { transfer: true },
    );
    expect(n.length).toBe(0); // the input buffer moved to the worker
    expect(Array.from(out.m!.data as BigInt64Array)).toEqual([10n, 12n, 14n]);
    expect(Array.from(out.y!.data as Float32Array)).toEqual([1, 0.25, 4]);
    expect((await remote.report()).fallbackNodes).toEqual([{ name: 'int_add', opType: 'Add' }]);
    await remote.release();
  });

  it('cancel rejects with an AbortError at once; the worker drops the queued run and keeps serving', async () => {
    const chain = artifactOf(matmulChain(8, 192));
    const remote = await worker.open({ hash: chain.hash, ep: 'cpu' }, chain);
    const feeds = (): TensorMap => ({
      x: { dtype: 'float32', data: new Float32Array(192 * 192).fill(0.25), dims: [192, 192] },
    });
    const controller = new AbortController();
    const first = remote.run(feeds());
    const second = remote.run(feeds(), { signal: controller.signal });
    controller.abort();
    await expect(second).rejects.toMatchObject({ name: 'AbortError' });
    expect((await first).y!.dims).toEqual([192, 192]);
    await expect(remote.run(feeds(), { signal: AbortSignal.abort() })).rejects.toMatchObject({
      name: 'AbortError',
    });
    expect((await remote.run(feeds())).y!.dims).toEqual([192, 192]);
    expect((await remote.report()).runs).toBe(2); // the cancelled runs never reached ORT
    await remote.release();
  });

  it('errors inside the worker come back as rejections with the message', async () => {
    const remote = await worker.open({ hash: mlp.hash, ep: 'cpu' }, mlp);
    await expect(remote.run({})).rejects.toThrow(/missing input "x"/);
    await remote.release();
    await expect(remote.release()).rejects.toThrow(/no open session/);
  });
});
