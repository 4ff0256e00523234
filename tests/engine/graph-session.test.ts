import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Graph, type LazyParamData } from '../../main/engine/ir/graph';
import {
  SessionCache,
  fusedAttentionFor,
  graphArtifact,
  openGraphSession,
  precisionFor,
  storageFor,
} from '../../main/engine/runtime';

let workDir: string;
beforeAll(async () => {
  workDir = await mkdtemp(path.join(os.tmpdir(), 'hps-graph-session-'));
});
afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

/** y = x + w, with w read lazily (always external data); `loads` counts the reads. */
function lazyAddGraph(key: string) {
  const counter = { loads: 0 };
  const w: LazyParamData = {
    storage: 'f32',
    byteLength: 8,
    key,
    load: async () => {
      counter.loads++;
      return new Uint8Array(Float32Array.from([10, 20]).buffer);
    },
  };
  const g = new Graph('lazy-add');
  g.output('y', g.input('x', [2]).add(g.param('w', w, { shape: [2] })));
  return { graph: g, counter };
}

describe('graph sessions', () => {
  it('follows one per-EP policy', () => {
    expect(precisionFor('cpu')).toBe('fp32');
    expect(precisionFor('webgpu')).toBe('fp16');
    expect(storageFor(precisionFor('cuda'))).toBe('f16');
    expect(storageFor('fp32')).toBe('f32');
    expect([fusedAttentionFor('cpu'), fusedAttentionFor('webgpu'), fusedAttentionFor('cuda')]).toEqual([
      false,
      false,
      true,
    ]);
  });

  it('writes external data once per graph hash and reuses it', async () => {
    const target = { ep: 'cpu', precision: 'fp32' } as const;
    const first = lazyAddGraph('reuse');
    const written = await graphArtifact(first.graph, target, workDir);
    expect(written.source).toEqual({ kind: 'file', path: path.join(workDir, written.hash, 'model.onnx') });
    expect(first.counter.loads).toBe(1);

    const second = lazyAddGraph('reuse');
    const sessions = new SessionCache();
    const session = await openGraphSession(second.graph, { ...target, sessions, workDir });
    expect(second.counter.loads).toBe(0);
    const out = await session.run({ x: { dtype: 'float32', data: Float32Array.from([1, 2]), dims: [2] } });
    expect([...(out.y!.data as Float32Array)]).toEqual([11, 22]);
    await session.release();
    await sessions.clear();
  });

  it('keeps small in-memory weights inline: nothing is written', async () => {
    const g = new Graph('inline-add');
    g.output('y', g.input('x', [2]).add(g.param('w', Float32Array.from([1, 2]), { shape: [2] })));
    const dir = path.join(workDir, 'inline');
    const artifact = await graphArtifact(g, { ep: 'cpu', precision: 'fp32' }, dir);
    expect(artifact.source.kind).toBe('bytes');
    await expect(readdir(dir)).rejects.toThrow();
  });
});
