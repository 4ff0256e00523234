// Readers for ../shared/fixtures/clip and the error measures its README states.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import type { Graph } from '../../main/engine/ir/graph';
import { lower } from '../../main/engine/onnx/lower';
import type { Precision } from '../../main/engine/ops/types';

export const CLIP_FIXTURES = path.resolve(
  path.dirname(new URL(import.meta.url).pathname),
  '../../../shared/fixtures/clip',
);
export const fixture = (name: string) => path.join(CLIP_FIXTURES, name);

interface Manifest {
  images: string[];
  prompts: string[];
}
export const manifest = JSON.parse(readFileSync(fixture('manifest.json'), 'utf8')) as Manifest;
export const IMAGES = manifest.images.map(fixture);
export const PROMPTS = manifest.prompts;
export const VOCAB = fixture('bpe_simple_vocab_16e6.txt.gz');

export function f32(name: string): Float32Array {
  const b = readFileSync(fixture(name));
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

export function i32(name: string): Int32Array {
  const b = readFileSync(fixture(name));
  return new Int32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

/** ‖ours − ref‖ / ‖ref‖ */
export function relativeError(ours: ArrayLike<number>, ref: ArrayLike<number>): number {
  if (ours.length !== ref.length) throw new Error(`length ${ours.length} vs ${ref.length}`);
  let num = 0;
  let den = 0;
  for (let i = 0; i < ref.length; i++) {
    num += (ours[i]! - ref[i]!) ** 2;
    den += ref[i]! ** 2;
  }
  return Math.sqrt(num / den);
}

export function maxAbsDiff(ours: ArrayLike<number>, ref: ArrayLike<number>): number {
  if (ours.length !== ref.length) throw new Error(`length ${ours.length} vs ${ref.length}`);
  let worst = 0;
  for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(ours[i]! - ref[i]!));
  return worst;
}

/** Row-wise L2 normalisation of [rows, dim]. */
export function normalizeRows(x: Float32Array, dim: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let r = 0; r < x.length / dim; r++) {
    let s = 0;
    for (let i = 0; i < dim; i++) s += x[r * dim + i]! ** 2;
    const n = Math.sqrt(s) || 1;
    for (let i = 0; i < dim; i++) out[r * dim + i] = x[r * dim + i]! / n;
  }
  return out;
}

/** [a rows] × [b rows] cosines of row-normalised features. */
export function cosineMatrix(a: Float32Array, b: Float32Array, dim: number): Float32Array {
  const na = normalizeRows(a, dim);
  const nb = normalizeRows(b, dim);
  const rows = a.length / dim;
  const cols = b.length / dim;
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++)
    for (let j = 0; j < cols; j++) {
      let s = 0;
      for (let k = 0; k < dim; k++) s += na[i * dim + k]! * nb[j * dim + k]!;
      out[i * cols + j] = s;
    }
  return out;
}

export type Feeds = Record<
  string,
  { type: 'float32' | 'int32'; data: Float32Array | Int32Array; dims: number[] }
>;

/** Lowers and runs a graph once on an EP, returning its first output. */
export async function runOnce(
  g: Graph,
  feeds: Feeds,
  ep: 'cpu' | 'webgpu' = 'cpu',
  precision: Precision = 'fp32',
): Promise<Float32Array> {
  const artifact = lower(g, { ep, precision });
  if (artifact.source.kind !== 'bytes') throw new Error('expected an in-memory model');
  const session = await ort.InferenceSession.create(artifact.source.bytes, {
    executionProviders: [ep],
    logSeverityLevel: 3,
  });
  try {
    const input: Record<string, ort.Tensor> = {};
    for (const [k, v] of Object.entries(feeds)) input[k] = new ort.Tensor(v.type, v.data, v.dims);
    const out = await session.run(input);
    return out[session.outputNames[0]!]!.data as Float32Array;
  } finally {
    await session.release();
  }
}
