// The lowering context: emits ONNX nodes and memoised constants into one model. Generated value names
// start with '#', which Graph refuses in user names, so they never collide.
import type { ConstData } from '../ir/graph';
import type { DType, Shape } from '../ir/shape';
import type { LowerContext, NodeOptions, Precision } from '../ops/types';
import { toHalfArray } from './half';
import type { AttributeValue, NodeProto, OnnxDataTypeName, TensorProto } from './proto';

export const FIXED: Record<Exclude<DType, 'f32'>, OnnxDataTypeName> = {
  f16: 'float16',
  i32: 'int32',
  i64: 'int64',
  bool: 'bool',
};

export class Emitter implements LowerContext {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  readonly domains = new Set<string>();
  private readonly memo = new Map<string, string>();
  private counter = 0;

  constructor(
    readonly ep: string,
    readonly precision: Precision,
    readonly fusedAttention: boolean,
    private readonly floatType: OnnxDataTypeName,
    private readonly root?: Emitter,
  ) {}

  /** A view that computes 'f32' in another float type but emits into the same model. */
  withFloat(floatType: OnnxDataTypeName): Emitter {
    return new Emitter(this.ep, this.precision, this.fusedAttention, floatType, this.base);
  }

  private get base(): Emitter {
    return this.root ?? this;
  }

  onnxType(dtype: DType): OnnxDataTypeName {
    return dtype === 'f32' ? this.floatType : FIXED[dtype];
  }

  node(
    opType: string,
    inputs: readonly string[],
    attributes: Record<string, AttributeValue> = {},
    options: NodeOptions = {},
  ): string {
    const base = this.base;
    const index = base.counter++;
    const output = options.output ?? `#tmp${index}`;
    const node: NodeProto = { opType, inputs, outputs: [output], name: `n${index}_${opType}`, attributes };
    if (options.domain) base.domains.add(options.domain);
    base.nodes.push(options.domain ? { ...node, domain: options.domain } : node);
    return output;
  }

  addInitializer(t: TensorProto): string {
    this.base.initializers.push(t);
    return t.name;
  }

  private memoized(key: string, make: () => TensorProto): string {
    const base = this.base;
    const hit = base.memo.get(key);
    if (hit) return hit;
    const name = make().name;
    base.memo.set(key, name);
    return name;
  }

  private constTensor(
    key: string,
    dataType: OnnxDataTypeName,
    dims: readonly number[],
    data: ConstData | Uint16Array,
  ): string {
    return this.memoized(key, () => {
      const name = `#k${this.base.memo.size}`;
      this.addInitializer({ name, dataType, dims, rawData: bytesOf(data) });
      return { name, dataType, dims };
    });
  }

  i64(values: readonly number[]): string {
    return this.constTensor(
      `i64:${values.join(',')}`,
      'int64',
      [values.length],
      BigInt64Array.from(values, (v) => BigInt(v)),
    );
  }

  f32(values: readonly number[]): string {
    return this.constTensor(`f32:${values.join(',')}`, 'float', [values.length], Float32Array.from(values));
  }

  float(value: number): string {
    return this.filled(value, []);
  }

  filled(value: number, shape: readonly number[]): string {
    const count = shape.reduce((a, b) => a * b, 1);
    return this.constTensor(
      `${this.floatType}:${value}:${shape.join(',')}`,
      this.floatType,
      shape,
      floatData(new Array<number>(count).fill(value), this.floatType),
    );
  }

  shapeOf(name: string, shape: Shape): string {
    if (shape.every((d) => typeof d === 'number')) return this.i64(shape as number[]);
    return this.node('Shape', [name]);
  }
}

export function bytesOf(data: ArrayBufferView): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

export function floatData(values: ArrayLike<number>, type: OnnxDataTypeName): ConstData | Uint16Array {
  if (type === 'double') return Float64Array.from(values);
  if (type === 'float16') return toHalfArray(values);
  return Float32Array.from(values);
}

export function constBytes(data: ConstData, type: OnnxDataTypeName): Uint8Array {
  if (type === 'double' || type === 'float' || type === 'float16') {
    if (type === 'float' && data instanceof Float32Array) return bytesOf(data);
    return bytesOf(floatData(data as ArrayLike<number>, type));
  }
  if (type === 'int32' && !(data instanceof Int32Array))
    return bytesOf(Int32Array.from(data as ArrayLike<number>));
  if (type === 'int64' && !(data instanceof BigInt64Array))
    return bytesOf(BigInt64Array.from(data as ArrayLike<number>, (v) => BigInt(v)));
  return bytesOf(data);
}
