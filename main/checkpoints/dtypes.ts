/** Element types as safetensors names them; torch storages map onto the same names. */
export const DTYPE_SIZES = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  F8_E4M3: 1,
  F8_E5M2: 1,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U64: 8,
  U32: 4,
  U16: 2,
  U8: 1,
  BOOL: 1,
} as const;

export type DType = keyof typeof DTYPE_SIZES;

export function isDType(value: unknown): value is DType {
  return typeof value === 'string' && Object.hasOwn(DTYPE_SIZES, value);
}

export function dtypeSize(dtype: DType): number {
  return DTYPE_SIZES[dtype];
}

export type TypedArrayFor<D extends DType> = D extends 'F64'
  ? Float64Array
  : D extends 'F32'
    ? Float32Array
    : D extends 'F16' | 'BF16' | 'U16'
      ? Uint16Array
      : D extends 'I64'
        ? BigInt64Array
        : D extends 'U64'
          ? BigUint64Array
          : D extends 'I32'
            ? Int32Array
            : D extends 'U32'
              ? Uint32Array
              : D extends 'I16'
                ? Int16Array
                : D extends 'I8'
                  ? Int8Array
                  : Uint8Array;

export type AnyTypedArray =
  | Float64Array
  | Float32Array
  | Uint16Array
  | BigInt64Array
  | BigUint64Array
  | Int32Array
  | Uint32Array
  | Int16Array
  | Int8Array
  | Uint8Array;

/**
 * Views little-endian bytes as the dtype's natural typed array (F16/BF16 as raw Uint16 bits).
 * Copies only when the bytes are not aligned for the element size.
 */
export function viewAs<D extends DType>(dtype: D, bytes: Uint8Array): TypedArrayFor<D> {
  const size = dtypeSize(dtype);
  if (bytes.byteLength % size !== 0) {
    throw new RangeError(`${bytes.byteLength} bytes is not a whole number of ${dtype} elements`);
  }
  const aligned = bytes.byteOffset % size === 0 ? bytes : bytes.slice();
  const { buffer, byteOffset } = aligned;
  const length = aligned.byteLength / size;
  const make = (): AnyTypedArray => {
    switch (dtype) {
      case 'F64':
        return new Float64Array(buffer, byteOffset, length);
      case 'F32':
        return new Float32Array(buffer, byteOffset, length);
      case 'F16':
      case 'BF16':
      case 'U16':
        return new Uint16Array(buffer, byteOffset, length);
      case 'I64':
        return new BigInt64Array(buffer, byteOffset, length);
      case 'U64':
        return new BigUint64Array(buffer, byteOffset, length);
      case 'I32':
        return new Int32Array(buffer, byteOffset, length);
      case 'U32':
        return new Uint32Array(buffer, byteOffset, length);
      case 'I16':
        return new Int16Array(buffer, byteOffset, length);
      case 'I8':
        return new Int8Array(buffer, byteOffset, length);
      default:
        return new Uint8Array(buffer, byteOffset, length);
    }
  };
  return make() as TypedArrayFor<D>;
}

export function bf16ToF32(bits: Uint16Array): Float32Array {
  const out = new Uint32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = bits[i]! << 16;
  return new Float32Array(out.buffer);
}

/** IEEE half → single; exact (every half value is representable in single precision). */
export function f16ToF32(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = HALF_VALUES[bits[i]!]!;
  return out;
}

/** All 65536 half values, decoded once (256 KiB, under a millisecond): a lookup is far cheaper than decoding
 *  per element. Never written after this. */
const HALF_VALUES: Float32Array = (() => {
  const table = new Float32Array(65536);
  for (let bits = 0; bits < 65536; bits++) table[bits] = halfBitsToNumber(bits);
  return table;
})();

export function halfBitsToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const mantissa = h & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa === 0 ? sign * Infinity : NaN;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);

/** Single → half with round-to-nearest-even, overflow to ±Inf, gradual underflow, NaN kept quiet. */
export function numberToHalfBits(value: number): number {
  f32Scratch[0] = value;
  return floatBitsToHalfBits(u32Scratch[0]!);
}

function floatBitsToHalfBits(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const exponent = (x >>> 23) & 0xff;
  const mantissa = x & 0x7fffff;
  if (exponent === 0xff) return mantissa === 0 ? sign | 0x7c00 : sign | 0x7e00 | (mantissa >>> 13);
  const halfExponent = exponent - 127 + 15;
  if (halfExponent >= 0x1f) return sign | 0x7c00;
  if (halfExponent <= 0) {
    // Subnormal half (or zero): shift the full significand, then round half to even.
    if (halfExponent < -10) return sign;
    return sign | roundShiftEven(mantissa | 0x800000, 14 - halfExponent);
  }
  // A mantissa carry propagates into the exponent, which is exactly the correct rounding up.
  return sign | roundShiftEven((halfExponent << 23) | mantissa, 13);
}

/** value >> shift, rounded to nearest with ties to even (shift ≤ 24, value < 2³¹). */
function roundShiftEven(value: number, shift: number): number {
  const truncated = value >>> shift;
  const remainder = value & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  return remainder > half || (remainder === half && (truncated & 1) === 1) ? truncated + 1 : truncated;
}

export function f32ToF16(values: Float32Array): Uint16Array {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const out = new Uint16Array(values.length);
  for (let i = 0; i < bits.length; i++) out[i] = floatBitsToHalfBits(bits[i]!);
  return out;
}

/** Floating dtypes as Float32Array (F64 is narrowed); integer dtypes are refused. */
export function toFloat32(dtype: DType, bytes: Uint8Array): Float32Array {
  switch (dtype) {
    case 'F32':
      return viewAs('F32', bytes);
    case 'F16':
      return f16ToF32(viewAs('F16', bytes));
    case 'BF16':
      return bf16ToF32(viewAs('BF16', bytes));
    case 'F64':
      return Float32Array.from(viewAs('F64', bytes));
    default:
      throw new TypeError(`cannot convert ${dtype} to float32: not a supported floating dtype`);
  }
}
