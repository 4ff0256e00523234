// The graph builder: typed tensor handles over an append-only list of values (inputs, parameters,
// constants, op results). Creation order is a topological order, which autodiff and lowering rely on.
import { type OpType, getOp } from '../ops';
import { OpBuilder } from './builder';
import {
  type DType,
  type Dim,
  type Shape,
  formatShape,
  isFloat,
  isStatic,
  normAxis,
  staticSize,
} from './shape';
import { TensorMethods } from './tensor-methods';

/** Frozen weight bytes: in memory, or loaded on demand so a multi-GB model is never held twice. */
export type ParamData =
  | Float32Array
  /** IEEE half-precision bit patterns. */
  | Uint16Array
  | LazyParamData;

/** How weights reach a graph: float32, or IEEE half bit patterns (storageFor(precision) picks one). */
export type WeightStorage = 'f32' | 'f16';

export interface LazyParamData {
  storage: WeightStorage;
  byteLength: number;
  /** Stable identity of the bytes (file path + offset + size + mtime, or a content hash): part of the graph hash. */
  key: string;
  load(): Promise<Uint8Array>;
}

export type ConstData = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array;

export type ValueSource =
  | { kind: 'input'; name: string; trainable: boolean; init?: Float32Array }
  | { kind: 'param'; name: string; data: ParamData }
  | { kind: 'const'; data: ConstData }
  | { kind: 'op'; op: OpType; inputs: readonly Tensor[]; attrs: unknown };

export interface TensorInfo {
  dtype: DType;
  shape: Shape;
}

export class Tensor extends TensorMethods {
  constructor(
    override readonly graph: Graph,
    readonly id: number,
    readonly dtype: DType,
    readonly shape: Shape,
    readonly source: ValueSource,
  ) {
    super();
  }

  get rank(): number {
    return this.shape.length;
  }

  /** Size of one axis (negative counts from the end). */
  dim(axis: number): Dim {
    return this.shape[normAxis(axis, this.rank)]!;
  }

  override toString(): string {
    const what = this.source.kind === 'op' ? this.source.op : this.source.kind;
    return `${what}#${this.id}:${this.dtype}${formatShape(this.shape)}`;
  }
}

export interface InputOptions {
  dtype?: DType;
  /** Trainable inputs get a `grad/<name>` output from `addTrainingOutputs`. */
  trainable?: boolean;
  /** Initial values of a trainable input, for the optimizer's first step. */
  init?: Float32Array;
}

/**
 * A gradient-checkpointed stretch of the graph (values `start`..`end`, contiguous because values are
 * appended in order): autodiff recomputes its op values during the backward pass instead of keeping them.
 * Only `output` may be used after the segment closes.
 */
export interface CheckpointSegment {
  readonly label: string;
  readonly start: number;
  readonly end: number;
  readonly output: Tensor;
}

export interface ParamOptions {
  shape: readonly number[];
  /** Trainable or swappable (LoRA A/B, scales): a graph input fed each run, not a baked-in initializer. */
  trainable?: boolean;
}

export class Graph extends OpBuilder {
  readonly values: Tensor[] = [];
  readonly outputs = new Map<string, Tensor>();
  readonly segments: CheckpointSegment[] = [];
  private readonly names = new Set<string>();
  /** Op values inside a closed segment (its output excepted), by id. */
  private readonly sealed = new Map<number, CheckpointSegment>();
  private openSegment?: string;

  constructor(readonly name = 'graph') {
    super();
  }

  /** A graph input fed at run time. Dims may be symbolic ('batch'). */
  input(name: string, shape: Shape, options: InputOptions = {}): Tensor {
    const dtype = options.dtype ?? 'f32';
    if (options.trainable && dtype !== 'f32')
      throw new Error(`trainable input "${name}" must be f32, got ${dtype}`);
    if (options.init && options.init.length !== staticSize(shape, `input "${name}"`)) {
      throw new Error(
        `input "${name}": init has ${options.init.length} values for shape ${formatShape(shape)}`,
      );
    }
    return this.push(dtype, shape, {
      kind: 'input',
      name: this.claim(name),
      trainable: !!options.trainable,
      init: options.init,
    });
  }

  /** A model weight: frozen (an initializer, fp32 or fp16 storage, computed in the policy's precision) or trainable (an input). */
  param(name: string, data: ParamData, options: ParamOptions): Tensor {
    const count = staticSize(options.shape, `param "${name}"`);
    const bytesPerElement = paramStorage(data) === 'f16' ? 2 : 4;
    const { byteLength } = data;
    if (byteLength !== count * bytesPerElement) {
      throw new Error(
        `param "${name}": ${byteLength} bytes do not fit shape ${formatShape(options.shape)} in ${paramStorage(data)}`,
      );
    }
    if (options.trainable) {
      if (!(data instanceof Float32Array))
        throw new Error(`trainable param "${name}" needs Float32Array data`);
      return this.input(name, options.shape, { trainable: true, init: data });
    }
    return this.push('f32', options.shape, { kind: 'param', name: this.claim(name), data });
  }

  /** A small constant baked into the graph. */
  constant(data: ConstData | readonly number[], shape: readonly number[], dtype: DType = 'f32'): Tensor {
    const values = Array.isArray(data) ? constArray(data as readonly number[], dtype) : (data as ConstData);
    if (values.length !== staticSize(shape))
      throw new Error(`constant: ${values.length} values for shape ${formatShape(shape)}`);
    return this.push(dtype, shape, { kind: 'const', data: values });
  }

  override scalar(value: number, dtype: DType = 'f32'): Tensor {
    return this.constant([value], [], dtype);
  }

  /** Applies a registered op: its shape rule runs now, its lowering and gradient later. */
  override op(type: OpType, inputs: readonly Tensor[], attrs: unknown = {}): Tensor {
    for (const t of inputs) {
      if (t.graph !== this) throw new Error(`${type}: input ${t} belongs to another graph`);
      this.checkNotSealed(t, type);
    }
    let info: TensorInfo;
    try {
      info = getOp(type).infer(inputs, attrs);
    } catch (err) {
      const shapes = inputs.map((t) => `${t.dtype}${formatShape(t.shape)}`).join(', ');
      throw new Error(`${type}(${shapes}): ${(err as Error).message}`, { cause: err });
    }
    return this.push(info.dtype, info.shape, { kind: 'op', op: type, inputs, attrs });
  }

  /** Names a value as a model output. */
  output(name: string, t: Tensor): Tensor {
    if (this.outputs.has(name)) throw new Error(`output "${name}" is already defined`);
    this.checkNotSealed(t, `output "${name}"`);
    this.outputs.set(name, t);
    return t;
  }

  /**
   * Builds a gradient-checkpointed segment: the values `build` creates are recomputed from the segment's
   * inputs during the backward pass, so the forward pass keeps only the returned output alive. Every value
   * `build` computes must stay inside except that output (the graph rejects later uses); segments do not nest.
   */
  checkpoint(label: string, build: () => Tensor): Tensor {
    if (this.openSegment !== undefined)
      throw new Error(
        `checkpoint "${label}" opened inside checkpoint "${this.openSegment}": segments do not nest`,
      );
    const start = this.values.length;
    this.openSegment = label;
    let output: Tensor;
    try {
      output = build();
    } finally {
      this.openSegment = undefined;
    }
    if (output.graph !== this || output.id < start || output.source.kind !== 'op')
      throw new Error(
        `checkpoint "${label}": the output must be an op computed inside the segment, got ${output}`,
      );
    const segment: CheckpointSegment = { label, start, end: this.values.length - 1, output };
    for (let id = start; id <= segment.end; id++)
      if (id !== output.id && this.values[id]!.source.kind === 'op') this.sealed.set(id, segment);
    this.segments.push(segment);
    return output;
  }

  inputs(): Tensor[] {
    return this.values.filter((v) => v.source.kind === 'input');
  }

  trainables(): Tensor[] {
    return this.values.filter((v) => v.source.kind === 'input' && v.source.trainable);
  }

  /** Copies of the trainable inputs' initial values, by name: the optimizer's parameter set. */
  initialValues(): Record<string, Float32Array> {
    const out: Record<string, Float32Array> = {};
    for (const t of this.trainables()) {
      const src = t.source as Extract<ValueSource, { kind: 'input' }>;
      if (!src.init) throw new Error(`trainable input "${src.name}" has no initial values`);
      out[src.name] = Float32Array.from(src.init);
    }
    return out;
  }

  private checkNotSealed(t: Tensor, user: string): void {
    const segment = this.sealed.get(t.id);
    if (segment)
      throw new Error(
        `${user}: ${t} is an intermediate of checkpoint "${segment.label}"; only its output ${segment.output} may be used outside it`,
      );
  }

  private claim(name: string): string {
    if (this.names.has(name)) throw new Error(`name "${name}" is already used in graph "${this.name}"`);
    if (!/^[\w./:-]+$/.test(name))
      throw new Error(`name "${name}" may only use letters, digits and _ . / : -`);
    this.names.add(name);
    return name;
  }

  private push(dtype: DType, shape: Shape, source: ValueSource): Tensor {
    const t = new Tensor(this, this.values.length, dtype, [...shape], source);
    this.values.push(t);
    return t;
  }
}

export function paramStorage(data: ParamData): WeightStorage {
  if (data instanceof Float32Array) return 'f32';
  if (data instanceof Uint16Array) return 'f16';
  return data.storage;
}

function constArray(values: readonly number[], dtype: DType): ConstData {
  switch (dtype) {
    case 'f32':
    case 'f16':
      return Float64Array.from(values);
    case 'i32':
      return Int32Array.from(values);
    case 'i64':
      return BigInt64Array.from(values, (v) => BigInt(v));
    case 'bool':
      return Uint8Array.from(values, (v) => (v ? 1 : 0));
  }
}

export { isFloat, isStatic };
