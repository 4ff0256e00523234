import type { DType } from './dtypes';

/** One named tensor of a checkpoint; its bytes stay on disk until read. */
export interface TensorData {
  readonly dtype: DType;
  readonly shape: readonly number[];
  /** Bytes of the contiguous row-major tensor. */
  readonly byteLength: number;
  /** Contiguous little-endian row-major bytes in a fresh, element-aligned buffer. */
  read(): Promise<Uint8Array>;
}

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((count, dim) => count * dim, 1);
}
