// Inputs and outputs cross the runtime boundary as plain typed arrays with shapes, never ort.Tensor, so they
// can be posted to and from the worker thread and used without knowing onnxruntime.
import * as ort from 'onnxruntime-node';

export interface TensorTypes {
  float32: Float32Array;
  /** IEEE half floats as raw 16-bit patterns. */
  float16: Uint16Array;
  int32: Int32Array;
  int64: BigInt64Array;
  bool: Uint8Array;
  uint8: Uint8Array;
}
export type TensorDtype = keyof TensorTypes;

export type TensorData = {
  [D in TensorDtype]: { dtype: D; data: TensorTypes[D]; dims: readonly number[] };
}[TensorDtype];
export type TensorMap = Record<string, TensorData>;

const ARRAY_TYPE: Record<TensorDtype, new (n: number) => ArrayBufferView> = {
  float32: Float32Array,
  float16: Uint16Array,
  int32: Int32Array,
  int64: BigInt64Array,
  bool: Uint8Array,
  uint8: Uint8Array,
};

export function isTensorDtype(value: unknown): value is TensorDtype {
  return typeof value === 'string' && value in ARRAY_TYPE;
}

export function elementCount(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

/** Checks that the array type and length agree with dtype and dims. */
export function checkTensor(name: string, t: TensorData): void {
  if (!isTensorDtype(t.dtype)) throw new Error(`tensor "${name}": unsupported dtype ${String(t.dtype)}`);
  if (!Array.isArray(t.dims) || t.dims.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new Error(`tensor "${name}": dims must be non-negative integers, got ${JSON.stringify(t.dims)}`);
  }
  if (!(t.data instanceof ARRAY_TYPE[t.dtype])) {
    throw new Error(
      `tensor "${name}": ${t.dtype} data must be a ${ARRAY_TYPE[t.dtype].name}, got ${t.data?.constructor?.name}`,
    );
  }
  const count = elementCount(t.dims);
  if (t.data.length !== count)
    throw new Error(
      `tensor "${name}": dims [${t.dims.join(', ')}] need ${count} elements, data has ${t.data.length}`,
    );
}

export function toOrtTensor(name: string, t: TensorData): ort.Tensor {
  checkTensor(name, t);
  if (t.dtype === 'float16') return new ort.Tensor('float16', t.data, t.dims);
  return new ort.Tensor(t.dtype, t.data, t.dims);
}

export function fromOrtTensor(name: string, value: ort.OnnxValue): TensorData {
  const t = value as ort.Tensor;
  const dims = [...t.dims];
  const data = t.data;
  const dtype = t.type as string;
  if (dtype === 'bool' || dtype === 'uint8')
    return {
      dtype,
      data: new Uint8Array(
        (data as Uint8Array).buffer,
        (data as Uint8Array).byteOffset,
        (data as Uint8Array).length,
      ),
      dims,
    };
  if (dtype === 'float16') {
    const view = data as ArrayBufferView & { length: number };
    return { dtype, data: new Uint16Array(view.buffer, view.byteOffset, view.length), dims };
  }
  if (isTensorDtype(dtype) && data instanceof ARRAY_TYPE[dtype]) return { dtype, data, dims } as TensorData;
  throw new Error(`output "${name}" has type ${dtype}, which the runtime does not pass on`);
}
