// One op = one definition: shape rule, ONNX lowering, gradient rule.
import type { ComputePrecision } from '../../contract/names';
import type { AttributeValue, OnnxDataTypeName } from '../onnx/proto';
import type { Graph, Tensor, TensorInfo } from '../ir/graph';
import type { DType, Shape } from '../ir/shape';

// What models run in ('fp16' keeps softmax and normalisations in fp32); precisionFor(ep) picks one.
export type { ComputePrecision };

/** What 'f32' computes in: fp64 exists for gradient checks on the CPU EP. */
export type Precision = ComputePrecision | 'fp64';

export interface NodeOptions {
  /** Name the output (the op's final node must write the value's name). */
  output?: string;
  domain?: string;
}

export interface LowerContext {
  /** Target execution provider ('cpu', 'webgpu', ...): lowerings may pick EP-specific variants. */
  readonly ep: string;
  readonly precision: Precision;
  /** Lower attention to a fused contrib op where its contract fits (GPU EPs by default). */
  readonly fusedAttention: boolean;
  /** ONNX element type of an IR dtype under the precision policy. */
  onnxType(dtype: DType): OnnxDataTypeName;
  /** Emits a node and returns its output name. */
  node(
    opType: string,
    inputs: readonly string[],
    attributes?: Record<string, AttributeValue>,
    options?: NodeOptions,
  ): string;
  /** A 1-D int64 initializer (shapes, axes, pads: CPU-side constants), shared between uses. */
  i64(values: readonly number[]): string;
  /** A 1-D float32 initializer whatever the precision (Resize scales). */
  f32(values: readonly number[]): string;
  /** A scalar in the compute float type. */
  float(value: number): string;
  /** A float tensor of the compute type filled with one value. */
  filled(value: number, shape: readonly number[]): string;
  /** The shape of a value as an int64 tensor: a constant when static, a Shape node otherwise. */
  shapeOf(name: string, shape: Shape): string;
}

export interface LowerArgs<A> {
  inputs: readonly string[];
  attrs: A;
  inputInfo: readonly TensorInfo[];
  output: TensorInfo;
  /** The name the op's result must have. */
  out: string;
}

export interface GradArgs<A> {
  inputs: readonly Tensor[];
  output: Tensor;
  attrs: A;
  /** Gradient of the loss with respect to the output. */
  dy: Tensor;
  /** Which inputs need a gradient (float inputs on a path from a trainable input). */
  needs: readonly boolean[];
}

/** `T` is the op's name as a literal type: the registry derives OpType, the union of every name, from it. */
export interface OpDef<A = Record<string, never>, T extends string = string> {
  readonly type: T;
  infer(inputs: readonly TensorInfo[], attrs: A): TensorInfo;
  lower(ctx: LowerContext, args: LowerArgs<A>): void;
  /**
   * Input gradients built from graph ops; undefined where an input gets none. Absent: not differentiable.
   * A gradient may keep the broadcast shape it was computed in: autodiff sums it back to its input's shape.
   */
  grad?(g: Graph, args: GradArgs<A>): readonly (Tensor | undefined)[];
  /** Under the fp16 policy, compute this op in fp32 (softmax and normalisations overflow or lose mass in fp16). */
  readonly fp32?: boolean;
}

export const attr = {
  int: (value: number): AttributeValue => ({ type: 'int', value }),
  ints: (value: readonly number[]): AttributeValue => ({ type: 'ints', value }),
  float: (value: number): AttributeValue => ({ type: 'float', value }),
  string: (value: string): AttributeValue => ({ type: 'string', value }),
};
