// Weights of one SD component (unet, vae, text_encoder) under diffusers names, whatever the file layout:
// tensors stay on disk and are read when a session is built, so a multi-GB UNet is never held twice.
import { f32ToF16, toFloat32, viewAs, type TensorData } from '../../checkpoints';
import type { LazyParamData, WeightStorage } from '../../engine/ir/graph';
import type { TensorTransform } from './keys';

export type ComponentTensors = ReadonlyMap<string, TensorData>;

export type { WeightStorage };

/** A single-file tensor seen through a key-mapping transform (copy, 1×1 conv → linear, a row block). */
export function transformedTensor(source: TensorData, transform: TensorTransform): TensorData {
  switch (transform.kind) {
    case 'copy':
      return source;
    case 'conv1x1-to-linear': {
      const [rows, cols, ...rest] = source.shape;
      if (rest.some((d) => d !== 1) || rows === undefined || cols === undefined)
        throw new Error(`expected a 1×1 convolution weight, got [${source.shape.join(', ')}]`);
      return { ...source, shape: [rows, cols], read: () => source.read() };
    }
    case 'rows': {
      const rows = source.shape[0]!;
      if (rows % transform.parts !== 0)
        throw new Error(`${rows} rows cannot be split into ${transform.parts} equal parts`);
      const partRows = rows / transform.parts;
      const byteLength = source.byteLength / transform.parts;
      return {
        dtype: source.dtype,
        shape: [partRows, ...source.shape.slice(1)],
        byteLength,
        read: async () => {
          const bytes = await source.read();
          return bytes.slice(transform.part * byteLength, (transform.part + 1) * byteLength);
        },
      };
    }
  }
}

/** Values of a tensor in the requested storage (f16 files stay half under 'f16'). */
export async function readWeight(t: TensorData, storage: WeightStorage): Promise<Float32Array | Uint16Array> {
  const bytes = await t.read();
  if (storage === 'f16')
    return t.dtype === 'F16' ? viewAs('F16', bytes) : f32ToF16(toFloat32(t.dtype, bytes));
  return toFloat32(t.dtype, bytes);
}

/** A graph parameter read on demand; `identity` (file, size, mtime) makes the graph hash stable across runs. */
export function lazyWeight(t: TensorData, storage: WeightStorage, identity: string): LazyParamData {
  const count = t.shape.reduce((n, d) => n * d, 1);
  return {
    storage,
    byteLength: count * (storage === 'f16' ? 2 : 4),
    key: `${identity}:${storage}`,
    load: async () => {
      const values = await readWeight(t, storage);
      return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
    },
  };
}

/** Weights of one component with the identity that keys their graphs. */
export class ComponentWeights {
  constructor(
    readonly component: string,
    readonly tensors: ComponentTensors,
    /** Identifies the source files (path, size, mtime): part of every weight's lazy key. */
    readonly identity: string,
  ) {}

  has(name: string): boolean {
    return this.tensors.has(name);
  }

  get(name: string): TensorData {
    const t = this.tensors.get(name);
    if (!t) throw new Error(`${this.component}: the checkpoint has no tensor ${name}`);
    return t;
  }

  shape(name: string): number[] {
    return [...this.get(name).shape];
  }

  lazy(name: string, storage: WeightStorage): LazyParamData {
    return lazyWeight(this.get(name), storage, `${this.identity}#${this.component}/${name}`);
  }

  names(): string[] {
    return [...this.tensors.keys()];
  }
}
