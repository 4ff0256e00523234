/** Shared SD fixture access and session plumbing for the tests/sd suites. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';
import { SessionCache, openGraphSession, type ExecutionProvider } from '../../main/engine/runtime';
import type { Graph } from '../../main/engine/ir/graph';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const sdDir = path.resolve(repoRoot, '../shared/fixtures/sd');
export const tinyFolder = path.join(sdDir, 'sd-tiny');
export const tinySingleFile = path.join(sdDir, 'sd-tiny-single-file.safetensors');
export const clipVocab = path.resolve(repoRoot, '../shared/fixtures/clip/bpe_simple_vocab_16e6.txt.gz');

export function fixture(name: string): string {
  return path.join(sdDir, name);
}

export function readF32(name: string): Float32Array {
  const bytes = readFileSync(fixture(name));
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

export function readI64AsI32(name: string): Int32Array {
  const bytes = readFileSync(fixture(name));
  const big = new BigInt64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  return Int32Array.from(big, (v) => Number(v));
}

export function relativeError(ours: ArrayLike<number>, ref: ArrayLike<number>): number {
  if (ours.length !== ref.length) throw new Error(`length ${ours.length} vs ${ref.length}`);
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < ref.length; i++) {
    diff += (ours[i]! - ref[i]!) ** 2;
    norm += ref[i]! ** 2;
  }
  return Math.sqrt(diff / norm);
}

/** One scratch root per test file (lowered graphs with external weights), removed after its tests. */
let scratch: string | undefined;
afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
  scratch = undefined;
});

export function tempDir(prefix: string): string {
  scratch ??= mkdtempSync(path.join(tmpdir(), 'hps-sd-tests-'));
  return mkdtempSync(path.join(scratch, prefix));
}

/** Runs a graph once on an EP (fp32) and returns one float output. */
export async function runGraph(
  graph: Graph,
  feeds: Parameters<Awaited<ReturnType<typeof openGraphSession>>['run']>[0],
  output: string,
  ep: ExecutionProvider = 'cpu',
  sessions = new SessionCache(),
): Promise<Float32Array> {
  const session = await openGraphSession(graph, {
    ep,
    precision: 'fp32',
    sessions,
    workDir: tempDir('sd-graphs-'),
  });
  try {
    const out = await session.run(feeds);
    return out[output]!.data as Float32Array;
  } finally {
    await session.release();
  }
}
