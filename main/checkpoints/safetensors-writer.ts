import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { dtypeSize, isDType, type DType } from './dtypes';
import { elementCount, type TensorData } from './tensor';

/** In-memory data, or anything with a `read()` (e.g. a tensor of another checkpoint) streamed one at a time. */
export type TensorSource =
  | { readonly dtype: DType; readonly shape: readonly number[]; readonly data: ArrayBufferView }
  | Pick<TensorData, 'dtype' | 'shape' | 'read'>;

type Planned = { name: string; source: TensorSource; begin: number; end: number };

/**
 * Writes a safetensors file the way the reference does: tensors ordered by element size (largest first, so every
 * tensor stays aligned) then name, header padded with spaces to a multiple of 8. Written to a temporary file and
 * renamed, so readers never see a half-written file.
 */
export async function writeSafetensors(
  path: string,
  tensors: ReadonlyMap<string, TensorSource> | Readonly<Record<string, TensorSource>>,
  metadata: Readonly<Record<string, string>> = {},
): Promise<void> {
  const plan = planLayout(tensors instanceof Map ? [...tensors] : Object.entries(tensors));
  const header = encodeHeader(plan, metadata);
  const temporary = `${path}.${process.pid}.tmp`;
  const handle = await open(temporary, 'w');
  try {
    const lengthPrefix = new Uint8Array(8);
    new DataView(lengthPrefix.buffer).setBigUint64(0, BigInt(header.byteLength), true);
    await writeAll(handle, lengthPrefix);
    await writeAll(handle, header);
    for (const entry of plan) await writeAll(handle, await bytesOf(entry));
    await handle.close();
    await rename(temporary, path);
  } catch (error) {
    await handle.close().catch(() => undefined);
    await rm(temporary, { force: true });
    throw error;
  }
}

function planLayout(entries: [string, TensorSource][]): Planned[] {
  for (const [name, source] of entries) {
    if (name === '__metadata__') throw new Error('"__metadata__" is reserved and cannot name a tensor');
    if (!isDType(source.dtype)) throw new Error(`tensor "${name}": unknown dtype ${String(source.dtype)}`);
    if (!source.shape.every((dim) => Number.isSafeInteger(dim) && dim >= 0)) {
      throw new Error(
        `tensor "${name}": shape [${source.shape.join(', ')}] is not a list of non-negative integers`,
      );
    }
  }
  const ordered = [...entries].sort(
    ([nameA, a], [nameB, b]) =>
      dtypeSize(b.dtype) - dtypeSize(a.dtype) || (nameA < nameB ? -1 : nameA > nameB ? 1 : 0),
  );
  let offset = 0;
  return ordered.map(([name, source]) => {
    const begin = offset;
    offset += elementCount(source.shape) * dtypeSize(source.dtype);
    return { name, source, begin, end: offset };
  });
}

function encodeHeader(plan: Planned[], metadata: Readonly<Record<string, string>>): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) {
    for (const [key, value] of Object.entries(metadata)) {
      if (typeof value !== 'string') throw new Error(`metadata "${key}" must be a string`);
    }
    header.__metadata__ = metadata;
  }
  for (const { name, source, begin, end } of plan) {
    header[name] = { dtype: source.dtype, shape: source.shape, data_offsets: [begin, end] };
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = new Uint8Array(Math.ceil(json.byteLength / 8) * 8).fill(0x20);
  padded.set(json);
  return padded;
}

async function bytesOf({ name, source, begin, end }: Planned): Promise<Uint8Array> {
  const view = 'data' in source ? source.data : await source.read();
  const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  if (bytes.byteLength !== end - begin) {
    throw new Error(
      `tensor "${name}": shape [${source.shape.join(', ')}] of ${source.dtype} needs ${end - begin} bytes, data has ${bytes.byteLength}`,
    );
  }
  return bytes;
}

async function writeAll(handle: FileHandle, bytes: Uint8Array): Promise<void> {
  let written = 0;
  while (written < bytes.byteLength) {
    const result = await handle.write(bytes, written, bytes.byteLength - written);
    written += result.bytesWritten;
  }
}
