import type { DType } from './dtypes';
import { codecsEncode, numpyDType, numpyScalar } from './numpy-globals';
import { PickleCallable, PickleMarker } from './pickle';

/** A torch storage as a persistent id names it: the zip entry `data/<key>` holds `numel` elements. */
export interface TorchStorage {
  readonly key: string;
  readonly dtype: DType;
  readonly numel: number;
  readonly location: string;
}

/** A tensor view onto a storage, as `_rebuild_tensor_v2` describes it (offset and strides in elements). */
export class TorchTensor {
  constructor(
    readonly storage: TorchStorage,
    readonly storageOffset: number,
    readonly shape: readonly number[],
    readonly stride: readonly number[],
    readonly requiresGrad: boolean,
  ) {}

  get dtype(): DType {
    return this.storage.dtype;
  }
}

/** Marks a storage class inside a persistent id. */
export class StorageType {
  constructor(readonly dtype: DType) {}
}

const STORAGE_DTYPES: Record<string, DType> = {
  FloatStorage: 'F32',
  HalfStorage: 'F16',
  BFloat16Storage: 'BF16',
  DoubleStorage: 'F64',
  LongStorage: 'I64',
  IntStorage: 'I32',
  ShortStorage: 'I16',
  CharStorage: 'I8',
  ByteStorage: 'U8',
  BoolStorage: 'BOOL',
  UInt16Storage: 'U16',
  UInt32Storage: 'U32',
  UInt64Storage: 'U64',
  Float8_e4m3fnStorage: 'F8_E4M3',
  Float8_e5m2Storage: 'F8_E5M2',
};

function intList(value: unknown, what: string): number[] {
  if (!Array.isArray(value) || !value.every((item) => Number.isSafeInteger(item))) {
    throw new Error(`${what} is not a tuple of integers`);
  }
  return value as number[];
}

function rebuildTensor([storage, offset, size, stride, requiresGrad]: unknown[]): TorchTensor {
  if (typeof storage !== 'object' || storage === null || !('key' in storage)) {
    throw new Error('_rebuild_tensor: first argument is not a storage');
  }
  if (!Number.isSafeInteger(offset)) throw new Error('_rebuild_tensor: storage offset is not an integer');
  return new TorchTensor(
    storage as TorchStorage,
    offset as number,
    intList(size, 'tensor size'),
    intList(stride, 'tensor stride'),
    requiresGrad === true,
  );
}

function rebuildParameter([data]: unknown[]): unknown {
  if (!(data instanceof TorchTensor)) throw new Error('_rebuild_parameter: data is not a tensor');
  return data;
}

function orderedDict([items]: unknown[]): Map<unknown, unknown> {
  const map = new Map<unknown, unknown>();
  if (Array.isArray(items)) {
    for (const pair of items) {
      if (!Array.isArray(pair) || pair.length !== 2) throw new Error('OrderedDict items are not pairs');
      map.set(pair[0], pair[1]);
    }
  }
  return map;
}

const CALLABLES: Record<string, (args: unknown[]) => unknown> = {
  'torch._utils._rebuild_tensor': rebuildTensor,
  'torch._utils._rebuild_tensor_v2': rebuildTensor,
  'torch._utils._rebuild_parameter': rebuildParameter,
  'torch._utils._rebuild_parameter_with_state': rebuildParameter,
  'collections.OrderedDict': orderedDict,
  'torch.Size': ([dims]) => intList(dims ?? [], 'torch.Size'),
  'numpy.dtype': numpyDType,
  'numpy.core.multiarray.scalar': numpyScalar,
  'numpy._core.multiarray.scalar': numpyScalar,
  '_codecs.encode': codecsEncode,
};

/**
 * The whole allow-list: tensor rebuilding, storage types, OrderedDict, torch.Size and numpy scalars (decoded as
 * data). Nothing else resolves.
 */
export function resolveTorchGlobal(module: string, name: string): PickleCallable | PickleMarker | undefined {
  const qualifiedName = `${module}.${name}`;
  const callable = Object.hasOwn(CALLABLES, qualifiedName) ? CALLABLES[qualifiedName] : undefined;
  if (callable) return new PickleCallable(qualifiedName, callable);
  if (module === 'torch' && Object.hasOwn(STORAGE_DTYPES, name)) {
    return new PickleMarker(qualifiedName, new StorageType(STORAGE_DTYPES[name]!));
  }
  if (module === 'torch' && name.endsWith('Storage')) {
    // A real tensor type we cannot represent (complex, quantized): say so rather than call it hostile.
    throw new Error(`unsupported tensor storage type ${qualifiedName}`);
  }
  return undefined;
}
