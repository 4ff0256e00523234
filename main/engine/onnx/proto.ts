// ONNX protos (onnx/onnx.proto, IR version 8) as plain objects, and their wire encoding.
// Field numbers follow onnx.proto; only the fields the engine emits are modelled.
import { ProtoMessage } from './protobuf';

/** TensorProto.DataType values. */
export const OnnxDataType = {
  float: 1,
  uint8: 2,
  int8: 3,
  int32: 6,
  int64: 7,
  bool: 9,
  float16: 10,
  double: 11,
  bfloat16: 16,
} as const;
export type OnnxDataTypeName = keyof typeof OnnxDataType;

export interface ExternalDataRef {
  location: string;
  offset: number;
  length: number;
}

export interface TensorProto {
  name: string;
  dataType: OnnxDataTypeName;
  dims: readonly number[];
  /** Little-endian element bytes, inline in the model. */
  rawData?: Uint8Array;
  /** Bytes stored in a side file next to the model instead. */
  external?: ExternalDataRef;
}

/** A dimension is a fixed size or a symbolic name such as "batch". */
export type Dim = number | string;

export interface ValueInfoProto {
  name: string;
  dataType: OnnxDataTypeName;
  shape?: readonly Dim[];
}

export type AttributeValue =
  | { type: 'float'; value: number }
  | { type: 'int'; value: number }
  | { type: 'string'; value: string }
  | { type: 'tensor'; value: TensorProto }
  | { type: 'floats'; value: readonly number[] }
  | { type: 'ints'; value: readonly number[] };

export interface NodeProto {
  opType: string;
  inputs: readonly string[];
  outputs: readonly string[];
  name?: string;
  domain?: string;
  attributes?: Readonly<Record<string, AttributeValue>>;
}

export interface GraphProto {
  name: string;
  nodes: readonly NodeProto[];
  inputs: readonly ValueInfoProto[];
  outputs: readonly ValueInfoProto[];
  initializers: readonly TensorProto[];
  valueInfo?: readonly ValueInfoProto[];
}

export interface ModelProto {
  irVersion: number;
  opsets: readonly { domain: string; version: number }[];
  producerName: string;
  producerVersion: string;
  graph: GraphProto;
  metadata?: Readonly<Record<string, string>>;
}

const ATTRIBUTE_TYPE = { float: 1, int: 2, string: 3, tensor: 4, floats: 6, ints: 7 } as const;

function stringEntry(key: string, value: string): ProtoMessage {
  return new ProtoMessage().string(1, key).string(2, value);
}

export function encodeTensor(t: TensorProto): ProtoMessage {
  const m = new ProtoMessage().ints(1, t.dims).int(2, OnnxDataType[t.dataType]).string(8, t.name);
  if (t.rawData) m.bytes(9, t.rawData);
  if (t.external) {
    m.message(13, stringEntry('location', t.external.location));
    m.message(13, stringEntry('offset', String(t.external.offset)));
    m.message(13, stringEntry('length', String(t.external.length)));
    m.int(14, 1);
  }
  return m;
}

function encodeValueInfo(v: ValueInfoProto): ProtoMessage {
  const tensorType = new ProtoMessage().int(1, OnnxDataType[v.dataType]);
  if (v.shape) {
    const shape = new ProtoMessage();
    for (const d of v.shape) {
      shape.message(
        1,
        typeof d === 'number' ? new ProtoMessage().int(1, d) : new ProtoMessage().string(2, d),
      );
    }
    tensorType.message(2, shape);
  }
  return new ProtoMessage().string(1, v.name).message(2, new ProtoMessage().message(1, tensorType));
}

function encodeAttribute(name: string, a: AttributeValue): ProtoMessage {
  const m = new ProtoMessage().string(1, name).int(20, ATTRIBUTE_TYPE[a.type]);
  switch (a.type) {
    case 'float':
      return m.float(2, a.value);
    case 'int':
      return m.int(3, a.value);
    case 'string':
      return m.string(4, a.value);
    case 'tensor':
      return m.message(5, encodeTensor(a.value));
    case 'floats':
      return m.floats(7, a.value);
    case 'ints':
      return m.ints(8, a.value);
  }
}

function encodeNode(n: NodeProto): ProtoMessage {
  const m = new ProtoMessage();
  for (const i of n.inputs) m.string(1, i);
  for (const o of n.outputs) m.string(2, o);
  if (n.name) m.string(3, n.name);
  m.string(4, n.opType);
  for (const [k, v] of Object.entries(n.attributes ?? {})) m.message(5, encodeAttribute(k, v));
  if (n.domain) m.string(7, n.domain);
  return m;
}

export function encodeGraph(g: GraphProto): ProtoMessage {
  const m = new ProtoMessage();
  for (const n of g.nodes) m.message(1, encodeNode(n));
  m.string(2, g.name);
  for (const t of g.initializers) m.message(5, encodeTensor(t));
  for (const v of g.inputs) m.message(11, encodeValueInfo(v));
  for (const v of g.outputs) m.message(12, encodeValueInfo(v));
  for (const v of g.valueInfo ?? []) m.message(13, encodeValueInfo(v));
  return m;
}

export function encodeModel(model: ModelProto): ProtoMessage {
  const m = new ProtoMessage()
    .int(1, model.irVersion)
    .string(2, model.producerName)
    .string(3, model.producerVersion)
    .message(7, encodeGraph(model.graph));
  for (const o of model.opsets) m.message(8, new ProtoMessage().string(1, o.domain).int(2, o.version));
  for (const [k, v] of Object.entries(model.metadata ?? {})) m.message(14, stringEntry(k, v));
  return m;
}
