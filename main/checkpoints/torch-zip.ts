import { CheckpointError } from './errors';
import { dtypeSize } from './dtypes';
import { RandomAccessFile } from './file-reader';
import { PickleMarker, unpickle } from './pickle';
import { ZipArchive } from './zip-archive';
import { StorageType, type TorchTensor, resolveTorchGlobal, type TorchStorage } from './torch-globals';
import { elementCount, type TensorData } from './tensor';

/** data.pkl only describes tensors (real checkpoints: well under 1 MB); a larger one is refused, not allocated. */
const MAX_PICKLE_BYTES = 256 * 1024 * 1024;

/** A `torch.save` (≥ 1.6) zip checkpoint: the unpickled object tree, with tensor bytes left on disk. */
export interface TorchCheckpoint {
  readonly path: string;
  /** data.pkl's object: dicts are Maps, tuples and lists arrays, tensors TorchTensor. */
  readonly root: unknown;
  read(tensor: TorchTensor): Promise<Uint8Array>;
  tensor(tensor: TorchTensor): TensorData;
  close(): Promise<void>;
}

export async function openTorchCheckpoint(path: string): Promise<TorchCheckpoint> {
  const file = await RandomAccessFile.open(path);
  try {
    const archive = await ZipArchive.open(file);
    const prefix = archive.checkpointPrefix();
    const storages = new Map<string, TorchStorage>();
    const root = unpickle(await archive.read(`${prefix}data.pkl`, MAX_PICKLE_BYTES), {
      file: path,
      resolveGlobal: resolveTorchGlobal,
      persistentLoad: (pid) => storageFromPersistentId(path, pid, storages),
    });
    const byteOrder = archive.has(`${prefix}byteorder`)
      ? new TextDecoder().decode(await archive.read(`${prefix}byteorder`, 16)).trim()
      : 'little';
    if (byteOrder !== 'little' && byteOrder !== 'big')
      throw new CheckpointError(path, `unknown byteorder "${byteOrder}"`);
    return new OpenTorchCheckpoint(path, root, archive, prefix, byteOrder === 'big');
  } catch (error) {
    await file.close();
    throw error;
  }
}

function storageFromPersistentId(
  path: string,
  pid: unknown,
  storages: Map<string, TorchStorage>,
): TorchStorage {
  if (!Array.isArray(pid) || pid[0] !== 'storage' || pid.length < 5) {
    throw new CheckpointError(path, `pickle: unsupported persistent id ${describe(pid)}`);
  }
  const [, type, key, location, numel] = pid as unknown[];
  const storageType = type instanceof PickleMarker ? type.value : undefined;
  if (!(storageType instanceof StorageType))
    throw new CheckpointError(path, 'pickle: persistent id without a storage type');
  if (typeof key !== 'string' || !/^[\w.-]+$/.test(key))
    throw new CheckpointError(path, `pickle: bad storage key ${describe(key)}`);
  if (!Number.isSafeInteger(numel) || (numel as number) < 0)
    throw new CheckpointError(path, `pickle: bad storage size for key ${key}`);
  const existing = storages.get(key);
  if (existing) return existing;
  const storage = { key, dtype: storageType.dtype, numel: numel as number, location: String(location) };
  storages.set(key, storage);
  return storage;
}

function describe(value: unknown): string {
  return (
    JSON.stringify(value, (_key, item: unknown) =>
      typeof item === 'bigint' ? item.toString() : item,
    )?.slice(0, 120) ?? String(value)
  );
}

class OpenTorchCheckpoint implements TorchCheckpoint {
  constructor(
    readonly path: string,
    readonly root: unknown,
    private readonly archive: ZipArchive,
    private readonly prefix: string,
    private readonly bigEndian: boolean,
  ) {}

  async read(tensor: TorchTensor): Promise<Uint8Array> {
    const { storage, shape, stride, storageOffset } = tensor;
    const size = dtypeSize(storage.dtype);
    const count = elementCount(shape);
    if (count === 0) return new Uint8Array(0);
    const entryName = `${this.prefix}data/${storage.key}`;
    const lastIndex = storageOffset + shape.reduce((sum, dim, axis) => sum + (dim - 1) * stride[axis]!, 0);
    if (
      stride.length !== shape.length ||
      stride.some((step) => step < 0) ||
      storageOffset < 0 ||
      lastIndex >= storage.numel
    ) {
      throw new CheckpointError(
        this.path,
        `view (offset ${storageOffset}, shape [${shape}], stride [${stride}]) is outside its storage of ${storage.numel} elements`,
      );
    }
    const span = await this.archive.readRange(
      entryName,
      storageOffset * size,
      (lastIndex + 1 - storageOffset) * size,
    );
    const bytes = isContiguous(shape, stride) ? span : gather(span, shape, stride, size);
    if (this.bigEndian) swapBytes(bytes, size);
    return bytes;
  }

  tensor(tensor: TorchTensor): TensorData {
    return {
      dtype: tensor.dtype,
      shape: tensor.shape,
      byteLength: elementCount(tensor.shape) * dtypeSize(tensor.dtype),
      read: () => this.read(tensor),
    };
  }

  close(): Promise<void> {
    return this.archive.close();
  }
}

function isContiguous(shape: readonly number[], stride: readonly number[]): boolean {
  let expected = 1;
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    if (shape[axis] !== 1 && stride[axis] !== expected) return false;
    expected *= shape[axis]!;
  }
  return true;
}

/** Copies a strided view (indices relative to the span start) into row-major order. */
function gather(
  span: Uint8Array,
  shape: readonly number[],
  stride: readonly number[],
  size: number,
): Uint8Array {
  const out = new Uint8Array(elementCount(shape) * size);
  const index = new Array<number>(shape.length).fill(0);
  let source = 0;
  for (let element = 0; element < out.byteLength / size; element++) {
    out.set(span.subarray(source * size, source * size + size), element * size);
    for (let axis = shape.length - 1; axis >= 0; axis--) {
      index[axis]!++;
      source += stride[axis]!;
      if (index[axis]! < shape[axis]!) break;
      source -= index[axis]! * stride[axis]!;
      index[axis] = 0;
    }
  }
  return out;
}

function swapBytes(bytes: Uint8Array, size: number): void {
  if (size === 1) return;
  for (let start = 0; start < bytes.byteLength; start += size) bytes.subarray(start, start + size).reverse();
}
