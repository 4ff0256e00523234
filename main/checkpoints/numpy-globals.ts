import { PickleObject } from './pickle';

/**
 * The numpy scalars that training scripts leave in checkpoints (hpc.pt's metrics are numpy float64s), decoded as
 * plain data: `numpy.dtype(code, align, copy)` + BUILD state, `numpy.core.multiarray.scalar(dtype, bytes)`, and the
 * `_codecs.encode(text, 'latin1')` that protocol 2 uses for bytes. torch's own weights_only loader allows the same.
 */
export class NumpyDType extends PickleObject {
  byteOrder = '=';

  constructor(readonly code: string) {
    super();
  }

  /** numpy pickles dtypes with state (version, byteorder, subdescr, names, fields, elsize, alignment, flags). */
  setState(state: unknown): void {
    if (!Array.isArray(state) || typeof state[1] !== 'string')
      throw new Error(`numpy.dtype state is not understood`);
    this.byteOrder = state[1];
  }
}

export function numpyDType([code]: unknown[]): NumpyDType {
  if (typeof code !== 'string' || !SCALAR_READERS[code])
    throw new Error(`unsupported numpy dtype ${JSON.stringify(code)}`);
  return new NumpyDType(code);
}

type ScalarReader = (view: DataView, littleEndian: boolean) => number | bigint | boolean;

const SCALAR_READERS: Record<string, ScalarReader> = {
  f8: (view, little) => view.getFloat64(0, little),
  f4: (view, little) => view.getFloat32(0, little),
  i8: (view, little) => view.getBigInt64(0, little),
  u8: (view, little) => view.getBigUint64(0, little),
  i4: (view, little) => view.getInt32(0, little),
  u4: (view, little) => view.getUint32(0, little),
  i2: (view, little) => view.getInt16(0, little),
  u2: (view, little) => view.getUint16(0, little),
  i1: (view) => view.getInt8(0),
  u1: (view) => view.getUint8(0),
  b1: (view) => view.getUint8(0) !== 0,
};

const SCALAR_SIZES: Record<string, number> = {
  f8: 8,
  f4: 4,
  i8: 8,
  u8: 8,
  i4: 4,
  u4: 4,
  i2: 2,
  u2: 2,
  i1: 1,
  u1: 1,
  b1: 1,
};

export function numpyScalar([dtype, data]: unknown[]): number | bigint | boolean {
  if (!(dtype instanceof NumpyDType)) throw new Error('numpy scalar without a dtype');
  if (!(data instanceof Uint8Array) || data.byteLength !== SCALAR_SIZES[dtype.code]) {
    throw new Error(`numpy ${dtype.code} scalar needs ${SCALAR_SIZES[dtype.code]} bytes`);
  }
  const value = SCALAR_READERS[dtype.code]!(
    new DataView(data.buffer, data.byteOffset, data.byteLength),
    dtype.byteOrder !== '>',
  );
  if (typeof value !== 'bigint') return value;
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(value)
    : value;
}

export function codecsEncode([text, encoding]: unknown[]): Uint8Array {
  if (typeof text !== 'string' || (encoding !== 'latin1' && encoding !== 'latin-1')) {
    throw new Error('only latin1 encoding of a string is allowed');
  }
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code > 0xff) throw new Error('character outside latin1');
    bytes[i] = code;
  }
  return bytes;
}
