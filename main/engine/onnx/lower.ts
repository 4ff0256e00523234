// Lowering: Graph IR → ONNX ModelProto (one opset) → ModelArtifact, under an EP and precision policy.
import { createHash } from 'node:crypto';
import { type Graph, type LazyParamData, type ParamData, type Tensor, paramStorage } from '../ir/graph';
import type { DType } from '../ir/shape';
import { getOp } from '../ops';
import type { Precision } from '../ops/types';
import type { ModelArtifact } from './artifact';
import { type StreamedTensor, writeExternalDataModel } from './external-data';
import { Emitter, FIXED, bytesOf, constBytes } from './emitter';
import {
  type ModelProto,
  type OnnxDataTypeName,
  type TensorProto,
  type ValueInfoProto,
  OnnxDataType,
  encodeModel,
} from './proto';

export const OPSET = 18;
export const IR_VERSION = 8;

export interface LowerOptions {
  /** Execution provider the model is lowered for (EP-aware variants). */
  ep?: string;
  /**
   * What 'f32' values compute in. 'fp16' keeps softmax and normalisations in fp32; 'fp64' is for
   * gradient checks on the CPU EP. Graph inputs/outputs stay float32 (float64 under 'fp64').
   */
  precision?: Precision;
  /** Output names to emit (default: all of the graph's). */
  outputs?: readonly string[];
  /** Lower attention to com.microsoft.MultiHeadAttention where it fits (default: on every EP but cpu). */
  fusedAttention?: boolean;
  /** In-memory weights are inlined until their total passes this many bytes; the rest go to external data. */
  inlineLimitBytes?: number;
}

export interface LoweredModel {
  /** The model with its inline initializers; `external` tensors are added by the external-data writer. */
  model: ModelProto;
  external: StreamedTensor[];
  hash: string;
  inputs: ValueInfoProto[];
  outputs: ValueInfoProto[];
}

const COMPUTE: Record<Precision, OnnxDataTypeName> = { fp64: 'double', fp32: 'float', fp16: 'float16' };

/** Values the requested outputs depend on, in creation (= topological) order. */
function liveValues(g: Graph, roots: readonly Tensor[]): Tensor[] {
  const live = new Set<number>();
  const stack = [...roots];
  while (stack.length) {
    const t = stack.pop()!;
    if (live.has(t.id)) continue;
    live.add(t.id);
    if (t.source.kind === 'op') stack.push(...t.source.inputs);
  }
  return g.values.filter((v) => live.has(v.id));
}

/** Inline weights until the budget is spent; the rest (and every lazily loaded weight) streams to external data. */
class WeightPlacer {
  readonly external: StreamedTensor[] = [];
  private inlineBytes = 0;

  constructor(private readonly inlineLimit: number) {}

  place(
    name: string,
    dataType: OnnxDataTypeName,
    dims: readonly number[],
    data: ParamData,
  ): TensorProto | undefined {
    const inMemory = data instanceof Float32Array || data instanceof Uint16Array;
    if (inMemory && this.inlineBytes + data.byteLength <= this.inlineLimit) {
      this.inlineBytes += data.byteLength;
      return { name, dataType, dims, rawData: bytesOf(data) };
    }
    const bytes = inMemory ? data : () => loadOnce(data);
    this.external.push({ name, dataType, dims, bytes });
    return undefined;
  }
}

async function* loadOnce(data: LazyParamData): AsyncIterable<Uint8Array> {
  const bytes = await data.load();
  if (bytes.byteLength !== data.byteLength)
    throw new Error(`weight ${data.key}: loaded ${bytes.byteLength} bytes, expected ${data.byteLength}`);
  yield bytes;
}

export function lowerGraph(g: Graph, options: LowerOptions = {}): LoweredModel {
  const precision = options.precision ?? 'fp32';
  const ep = options.ep ?? 'cpu';
  const compute = COMPUTE[precision];
  const io: OnnxDataTypeName = precision === 'fp64' ? 'double' : 'float';
  const fused = options.fusedAttention ?? (ep !== 'cpu' && precision !== 'fp64');
  const ctx = new Emitter(ep, precision, fused, compute);
  const placer = new WeightPlacer(options.inlineLimitBytes ?? 1 << 30);
  const outputNames = options.outputs ?? [...g.outputs.keys()];
  if (outputNames.length === 0) throw new Error(`graph "${g.name}" has no outputs`);
  const inputNames = new Set(g.inputs().map((t) => (t.source as { name: string }).name));
  for (const n of outputNames)
    if (inputNames.has(n)) throw new Error(`output "${n}" has the name of a graph input`);
  const roots = outputNames.map((n) => {
    const t = g.outputs.get(n);
    if (!t) throw new Error(`graph "${g.name}" has no output "${n}"`);
    return t;
  });

  const names = new Map<number, string>();
  const inputs: ValueInfoProto[] = [];
  const ioType = (d: DType) => (d === 'f32' ? io : FIXED[d]);
  const toCompute = (name: string, from: OnnxDataTypeName) =>
    from === compute
      ? name
      : ctx.node(
          'Cast',
          [name],
          { to: { type: 'int', value: OnnxDataType[compute] } },
          { output: `#${name}:${compute}` },
        );

  // Every declared input stays in the signature (callers feed the same names whatever the outputs are).
  for (const t of g.inputs()) {
    const name = (t.source as { name: string }).name;
    inputs.push({ name, dataType: ioType(t.dtype), shape: t.shape });
    names.set(t.id, t.dtype === 'f32' ? toCompute(name, io) : name);
  }

  for (const t of liveValues(g, roots)) {
    const src = t.source;
    if (src.kind === 'input') continue;
    if (src.kind === 'param') {
      const storage: OnnxDataTypeName = paramStorage(src.data) === 'f16' ? 'float16' : 'float';
      const inline = placer.place(src.name, storage, t.shape as number[], src.data);
      if (inline) ctx.addInitializer(inline);
      names.set(t.id, toCompute(src.name, storage));
    } else if (src.kind === 'const') {
      const name = `#c${t.id}`;
      const dataType = ctx.onnxType(t.dtype);
      ctx.addInitializer({
        name,
        dataType,
        dims: t.shape as number[],
        rawData: constBytes(src.data, dataType),
      });
      names.set(t.id, name);
    } else {
      names.set(t.id, lowerOp(ctx, t, names));
    }
  }

  const outputs: ValueInfoProto[] = outputNames.map((name, i) => {
    const t = roots[i]!;
    const value = names.get(t.id)!;
    if (t.dtype === 'f32' && compute !== io)
      ctx.node('Cast', [value], { to: { type: 'int', value: OnnxDataType[io] } }, { output: name });
    else ctx.node('Identity', [value], {}, { output: name });
    return { name, dataType: ioType(t.dtype), shape: t.shape };
  });

  const model: ModelProto = {
    irVersion: IR_VERSION,
    opsets: [
      { domain: '', version: OPSET },
      ...[...ctx.domains].sort().map((domain) => ({ domain, version: 1 })),
    ],
    producerName: 'hps-studio',
    producerVersion: '1',
    graph: { name: g.name, nodes: ctx.nodes, inputs, outputs, initializers: ctx.initializers },
    metadata: { ep, precision, fusedAttention: String(fused) },
  };
  return { model, external: placer.external, hash: hashModel(model, placer.external, g), inputs, outputs };
}

function lowerOp(ctx: Emitter, t: Tensor, names: Map<number, string>): string {
  const src = t.source as Extract<Tensor['source'], { kind: 'op' }>;
  const def = getOp(src.op);
  const out = `#t${t.id}`;
  const inputNames = src.inputs.map((i) => names.get(i.id)!);
  const args = { attrs: src.attrs, inputInfo: src.inputs, output: t, out };
  if (!(def.fp32 && ctx.onnxType('f32') === 'float16')) {
    def.lower(ctx, { ...args, inputs: inputNames });
    return out;
  }
  // fp16 policy: this op computes in fp32 between casts.
  const island = ctx.withFloat('float');
  const cast = (name: string, to: OnnxDataTypeName, output?: string) =>
    ctx.node('Cast', [name], { to: { type: 'int', value: OnnxDataType[to] } }, output ? { output } : {});
  const widened = src.inputs.map((i, k) =>
    i.dtype === 'f32' ? cast(inputNames[k]!, 'float') : inputNames[k]!,
  );
  def.lower(island, { ...args, inputs: widened, out: `${out}:fp32` });
  cast(`${out}:fp32`, 'float16', out);
  return out;
}

/** sha256 of the encoded model (inline weights included) plus each external weight's name, type, dims and identity. */
function hashModel(model: ModelProto, external: readonly StreamedTensor[], g: Graph): string {
  const h = createHash('sha256');
  for (const chunk of encodeModel(model).chunks) h.update(chunk);
  const lazyKeys = new Map<string, string>();
  for (const v of g.values) {
    if (
      v.source.kind === 'param' &&
      !(v.source.data instanceof Float32Array || v.source.data instanceof Uint16Array)
    )
      lazyKeys.set(v.source.name, v.source.data.key);
  }
  for (const t of external) {
    h.update(`\0${t.name}\0${t.dataType}\0${t.dims.join(',')}\0`);
    if (typeof t.bytes === 'function') h.update(lazyKeys.get(t.name)!);
    else h.update(bytesOf(t.bytes));
  }
  return h.digest('hex');
}

/** The in-memory artifact of a model whose weights are all inline. */
export function toArtifact(lowered: LoweredModel): ModelArtifact {
  if (lowered.external.length) {
    throw new Error(`model has ${lowered.external.length} external tensors: write it with writeArtifact`);
  }
  return {
    hash: lowered.hash,
    source: { kind: 'bytes', bytes: encodeModel(lowered.model).toBytes() },
    inputs: lowered.inputs,
    outputs: lowered.outputs,
  };
}

export function lower(g: Graph, options: LowerOptions = {}): ModelArtifact {
  return toArtifact(lowerGraph(g, options));
}

/** Writes model.onnx (+ model.onnx.data for external weights, streamed) into `dir` and returns the file artifact. */
export async function writeArtifact(lowered: LoweredModel, dir: string): Promise<ModelArtifact> {
  const written = await writeExternalDataModel({
    dir,
    model: lowered.model,
    tensors: lowered.external,
    externalizeAbove: Infinity,
  });
  return {
    hash: lowered.hash,
    source: { kind: 'file', path: written.modelPath },
    inputs: lowered.inputs,
    outputs: lowered.outputs,
  };
}
