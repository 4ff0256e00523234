// Writes model.onnx plus model.onnx.data, the ONNX external-data layout: each large initializer's bytes sit
// in the side file at an aligned offset and the model holds only {location, offset, length}. Bytes are
// streamed from their sources straight to disk, so models over protobuf's 2 GB limit never exist as one
// buffer. ORT reads the side file when the model is loaded from a path (not from bytes).
import { randomUUID } from 'node:crypto';
import { open, rename, rm, writeFile, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { encodeModel, type ModelProto, type OnnxDataTypeName, type TensorProto } from './proto';

const ELEMENT_BYTES: Record<OnnxDataTypeName, number> = {
  float: 4,
  uint8: 1,
  int8: 1,
  int32: 4,
  int64: 8,
  bool: 1,
  float16: 2,
  double: 8,
  bfloat16: 2,
};

/**
 * Where a tensor's little-endian bytes come from: an array in memory, or a lazy chunk producer (called once,
 * when the tensor's turn comes). The writer is done with a chunk before it asks for the next, so a producer
 * may refill one buffer.
 */
export type TensorBytes = ArrayBufferView | (() => AsyncIterable<Uint8Array> | Iterable<Uint8Array>);

export interface StreamedTensor {
  name: string;
  dataType: OnnxDataTypeName;
  dims: readonly number[];
  bytes: TensorBytes;
}

export interface ExternalDataWriteOptions {
  /** Folder to write into (must exist). */
  dir: string;
  /** Graph, inputs, outputs and small initializers; its initializers stay inline unless larger than externalizeAbove. */
  model: ModelProto;
  /** Initializers written to the side file, in this order. */
  tensors?: readonly StreamedTensor[];
  modelFileName?: string;
  /** Byte alignment of every tensor's offset; 4096 (the page size) lets ORT memory-map the data. */
  alignment?: number;
  /** Inline initializers with more raw bytes than this move to the side file too. */
  externalizeAbove?: number;
}

export interface ExternalDataModel {
  modelPath: string;
  dataPath: string;
  dataBytes: number;
  tensors: { name: string; offset: number; length: number }[];
}

/** Largest slice handed to one write call (fs writes are limited to about 2 GB each). */
const MAX_WRITE = 64 * 1024 * 1024;

export async function writeExternalDataModel(options: ExternalDataWriteOptions): Promise<ExternalDataModel> {
  const modelFileName = options.modelFileName ?? 'model.onnx';
  const alignment = options.alignment ?? 4096;
  if (!Number.isInteger(alignment) || alignment < 1 || (alignment & (alignment - 1)) !== 0) {
    throw new Error(`external data alignment must be a power of two, got ${alignment}`);
  }
  const dataFileName = `${modelFileName}.data`;
  const modelPath = path.join(options.dir, modelFileName);
  const dataPath = path.join(options.dir, dataFileName);
  const threshold = options.externalizeAbove ?? 1024;
  const { inline, moved } = splitInitializers(options.model.graph.initializers, threshold);
  const streamed = [...moved, ...(options.tensors ?? [])];
  checkUniqueNames([...inline, ...streamed].map((t) => t.name));

  // Both files are written under temporary names and renamed at the end, model last, so that a
  // model.onnx on disk always has its complete data file beside it. The names are unique per write: two
  // processes or jobs building the same graph at once each finish their own files, and either rename wins.
  const partial = `.${process.pid}-${randomUUID().slice(0, 8)}.partial`;
  const handle = await open(`${dataPath}${partial}`, 'w');
  const tensors: ExternalDataModel['tensors'] = [];
  let position = 0;
  try {
    for (const t of streamed) {
      const offset = alignUp(position, alignment);
      const length = await writeTensor(handle, t, offset);
      tensors.push({ name: t.name, offset, length });
      position = offset + length;
    }
  } catch (err) {
    await handle.close();
    await rm(`${dataPath}${partial}`, { force: true });
    throw err;
  }
  await handle.close();

  const external: TensorProto[] = streamed.map((t, i) => ({
    name: t.name,
    dataType: t.dataType,
    dims: t.dims,
    external: { location: dataFileName, offset: tensors[i]!.offset, length: tensors[i]!.length },
  }));
  const model: ModelProto = {
    ...options.model,
    graph: { ...options.model.graph, initializers: [...inline, ...external] },
  };
  await writeFile(`${modelPath}${partial}`, encodeModel(model).toBytes());
  await rename(`${dataPath}${partial}`, dataPath);
  await rename(`${modelPath}${partial}`, modelPath);
  return { modelPath, dataPath, dataBytes: position, tensors };
}

function splitInitializers(initializers: readonly TensorProto[], threshold: number) {
  const inline: TensorProto[] = [];
  const moved: StreamedTensor[] = [];
  for (const t of initializers) {
    if (t.external)
      throw new Error(
        `initializer "${t.name}" already refers to external data; pass it as a streamed tensor`,
      );
    if (t.rawData && t.rawData.byteLength > threshold) {
      moved.push({ name: t.name, dataType: t.dataType, dims: t.dims, bytes: t.rawData });
    } else {
      inline.push(t);
    }
  }
  return { inline, moved };
}

async function writeTensor(handle: FileHandle, t: StreamedTensor, offset: number): Promise<number> {
  const expected = expectedBytes(t);
  let written = 0;
  for await (const chunk of chunksOf(t.bytes)) {
    if (written + chunk.byteLength > expected) {
      throw new Error(
        `tensor "${t.name}" produced more than the ${expected} bytes its dims [${t.dims.join(', ')}] declare`,
      );
    }
    await writeFully(handle, chunk, offset + written);
    written += chunk.byteLength;
  }
  if (written !== expected) {
    throw new Error(
      `tensor "${t.name}" produced ${written} bytes, its dims [${t.dims.join(', ')}] declare ${expected}`,
    );
  }
  return written;
}

async function* chunksOf(bytes: TensorBytes): AsyncIterable<Uint8Array> {
  if (typeof bytes === 'function') {
    yield* bytes();
    return;
  }
  const view = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let start = 0; start < view.byteLength; start += MAX_WRITE)
    yield view.subarray(start, start + MAX_WRITE);
}

async function writeFully(handle: FileHandle, chunk: Uint8Array, position: number): Promise<void> {
  for (let done = 0; done < chunk.byteLength;) {
    const slice = chunk.subarray(done, done + MAX_WRITE);
    const { bytesWritten } = await handle.write(slice, 0, slice.byteLength, position + done);
    done += bytesWritten;
  }
}

function expectedBytes(t: StreamedTensor): number {
  for (const d of t.dims) {
    if (!Number.isInteger(d) || d < 0) throw new Error(`tensor "${t.name}" has an invalid dimension ${d}`);
  }
  return t.dims.reduce((a, b) => a * b, 1) * ELEMENT_BYTES[t.dataType];
}

function alignUp(n: number, alignment: number): number {
  return Math.ceil(n / alignment) * alignment;
}

function checkUniqueNames(names: readonly string[]): void {
  const seen = new Set<string>();
  for (const n of names) {
    if (seen.has(n)) throw new Error(`two initializers are named "${n}"`);
    seen.add(n);
  }
}
