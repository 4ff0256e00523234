// Small ONNX models for the runtime tests, built directly as ModelProtos.
import { createHash } from 'node:crypto';
import type { ModelArtifact } from '../../main/engine/onnx/artifact';
import {
  encodeModel,
  type ModelProto,
  type NodeProto,
  type TensorProto,
  type ValueInfoProto,
} from '../../main/engine/onnx/proto';

export function floatTensor(name: string, dims: number[], values: (i: number) => number): TensorProto {
  const n = dims.reduce((a, b) => a * b, 1);
  return {
    name,
    dataType: 'float',
    dims,
    rawData: new Uint8Array(Float32Array.from({ length: n }, (_, i) => values(i)).buffer),
  };
}

export function model(
  name: string,
  nodes: NodeProto[],
  inputs: ValueInfoProto[],
  outputs: ValueInfoProto[],
  initializers: TensorProto[] = [],
): ModelProto {
  return {
    irVersion: 8,
    opsets: [{ domain: '', version: 18 }],
    producerName: 'test',
    producerVersion: '0',
    graph: { name, nodes, inputs, outputs, initializers },
  };
}

export function artifactOf(m: ModelProto): ModelArtifact {
  const bytes = encodeModel(m).toBytes();
  return {
    hash: createHash('sha256').update(bytes).digest('hex').slice(0, 32),
    source: { kind: 'bytes', bytes },
    inputs: m.graph.inputs,
    outputs: m.graph.outputs,
  };
}

/** y = tanh(x·W + b)·2 with x [2, 4], W [4, 3]: float ops every EP has. */
export function mlpModel(): ModelProto {
  return model(
    'mlp',
    [
      { name: 'matmul', opType: 'MatMul', inputs: ['x', 'w'], outputs: ['xw'] },
      { name: 'bias', opType: 'Add', inputs: ['xw', 'b'], outputs: ['h'] },
      { name: 'tanh', opType: 'Tanh', inputs: ['h'], outputs: ['t'] },
      { name: 'double', opType: 'Add', inputs: ['t', 't'], outputs: ['y'] },
    ],
    [{ name: 'x', dataType: 'float', shape: [2, 4] }],
    [{ name: 'y', dataType: 'float', shape: [2, 3] }],
    [floatTensor('w', [4, 3], (i) => Math.sin(i + 1) / 2), floatTensor('b', [3], (i) => 0.1 * i - 0.1)],
  );
}

/** Float Mul on the EP plus an int64 Add, which the WebGPU EP has no kernel for. */
export function mixedModel(): ModelProto {
  return model(
    'mixed',
    [
      { name: 'float_mul', opType: 'Mul', inputs: ['x', 'x'], outputs: ['y'] },
      { name: 'int_add', opType: 'Add', inputs: ['n', 'n'], outputs: ['m'] },
    ],
    [
      { name: 'x', dataType: 'float', shape: [3] },
      { name: 'n', dataType: 'int64', shape: [3] },
    ],
    [
      { name: 'y', dataType: 'float', shape: [3] },
      { name: 'm', dataType: 'int64', shape: [3] },
    ],
  );
}

/** A chain of `layers` [size, size] MatMuls: slow enough to keep a run in flight. */
export function matmulChain(layers: number, size: number): ModelProto {
  const nodes: NodeProto[] = [];
  const initializers: TensorProto[] = [];
  for (let l = 0; l < layers; l++) {
    initializers.push(floatTensor(`w${l}`, [size, size], (i) => ((i * 7919 + l) % 17) / (17 * size)));
    nodes.push({
      name: `mm${l}`,
      opType: 'MatMul',
      inputs: [l === 0 ? 'x' : `h${l - 1}`, `w${l}`],
      outputs: [l === layers - 1 ? 'y' : `h${l}`],
    });
  }
  return model(
    'chain',
    nodes,
    [{ name: 'x', dataType: 'float', shape: [size, size] }],
    [{ name: 'y', dataType: 'float', shape: [size, size] }],
    initializers,
  );
}

/** Every dtype crossing the boundary: float16 and int32 in; float32, bool, float16 and int32 out. */
export function dtypeModel(): ModelProto {
  return model(
    'dtypes',
    [
      {
        name: 'h_to_f',
        opType: 'Cast',
        inputs: ['h'],
        outputs: ['hf'],
        attributes: { to: { type: 'int', value: 1 } },
      },
      { name: 'positive', opType: 'Greater', inputs: ['hf', 'zero'], outputs: ['pos'] },
      {
        name: 'i_to_h',
        opType: 'Cast',
        inputs: ['i'],
        outputs: ['ih'],
        attributes: { to: { type: 'int', value: 10 } },
      },
      { name: 'i_twice', opType: 'Add', inputs: ['i', 'i'], outputs: ['i2'] },
    ],
    [
      { name: 'h', dataType: 'float16', shape: [3] },
      { name: 'i', dataType: 'int32', shape: [3] },
    ],
    [
      { name: 'hf', dataType: 'float', shape: [3] },
      { name: 'pos', dataType: 'bool', shape: [3] },
      { name: 'ih', dataType: 'float16', shape: [3] },
      { name: 'i2', dataType: 'int32', shape: [3] },
    ],
    [floatTensor('zero', [], () => 0)],
  );
}

/** GroupNormalization (opset 18 function): no WebGPU kernel, so ORT expands it and keeps its int64 shape math on the CPU. */
export function groupNormModel(): ModelProto {
  return model(
    'groupnorm',
    [
      {
        name: 'gn',
        opType: 'GroupNormalization',
        inputs: ['x', 'scale', 'bias'],
        outputs: ['y'],
        attributes: { num_groups: { type: 'int', value: 2 } },
      },
    ],
    [{ name: 'x', dataType: 'float', shape: [1, 4, 3] }],
    [{ name: 'y', dataType: 'float', shape: [1, 4, 3] }],
    [floatTensor('scale', [2], (i) => 1 + i), floatTensor('bias', [2], (i) => 0.5 * i)],
  );
}
