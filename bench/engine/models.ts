// Synthetic models for the engine bench, built directly as ModelProtos.
import type { ModelProto, NodeProto, TensorProto } from '../../main/engine/onnx/proto';

/** Deterministic weights in [-scale, scale) from a 32-bit LCG: cheap to generate, never all-equal. */
export function pseudoRandom(count: number, seed: number, scale: number): Float32Array {
  const out = new Float32Array(count);
  let s = seed >>> 0;
  for (let i = 0; i < count; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 2 ** 32 - 0.5) * 2 * scale;
  }
  return out;
}

function f32(name: string, dims: number[], data: Float32Array): TensorProto {
  return {
    name,
    dataType: 'float',
    dims,
    rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  };
}

export interface StackShape {
  layers: number;
  width: number;
  batch: number;
}

/**
 * A pre-norm residual MLP stack, transformer-ish without attention: per layer
 * h += W2·SiLU(W1·LayerNorm(h) + b1) + b2, hidden size 2·width. Weights: layers · 4·width² floats.
 */
export function mlpStack({ layers, width, batch }: StackShape): ModelProto {
  const nodes: NodeProto[] = [];
  const initializers: TensorProto[] = [];
  let h = 'x';
  for (let l = 0; l < layers; l++) {
    const p = (s: string) => `l${l}_${s}`;
    initializers.push(
      f32(p('gamma'), [width], new Float32Array(width).fill(1)),
      f32(p('beta'), [width], new Float32Array(width)),
      f32(p('w1'), [width, 2 * width], pseudoRandom(2 * width * width, 2 * l + 1, 1 / Math.sqrt(width))),
      f32(p('b1'), [2 * width], pseudoRandom(2 * width, 1000 + l, 0.01)),
      f32(p('w2'), [2 * width, width], pseudoRandom(2 * width * width, 2 * l + 2, 1 / Math.sqrt(2 * width))),
      f32(p('b2'), [width], pseudoRandom(width, 2000 + l, 0.01)),
    );
    const out = l === layers - 1 ? 'y' : p('out');
    nodes.push(
      {
        name: p('ln'),
        opType: 'LayerNormalization',
        inputs: [h, p('gamma'), p('beta')],
        outputs: [p('n')],
        attributes: { axis: { type: 'int', value: -1 }, epsilon: { type: 'float', value: 1e-5 } },
      },
      { name: p('mm1'), opType: 'MatMul', inputs: [p('n'), p('w1')], outputs: [p('u0')] },
      { name: p('add1'), opType: 'Add', inputs: [p('u0'), p('b1')], outputs: [p('u')] },
      { name: p('sig'), opType: 'Sigmoid', inputs: [p('u')], outputs: [p('s')] },
      { name: p('silu'), opType: 'Mul', inputs: [p('u'), p('s')], outputs: [p('a')] },
      { name: p('mm2'), opType: 'MatMul', inputs: [p('a'), p('w2')], outputs: [p('v0')] },
      { name: p('add2'), opType: 'Add', inputs: [p('v0'), p('b2')], outputs: [p('v')] },
      { name: p('res'), opType: 'Add', inputs: [h, p('v')], outputs: [out] },
    );
    h = out;
  }
  return {
    irVersion: 8,
    opsets: [{ domain: '', version: 18 }],
    producerName: 'hps-studio-bench',
    producerVersion: '0',
    graph: {
      name: 'mlp_stack',
      nodes,
      inputs: [{ name: 'x', dataType: 'float', shape: [batch, width] }],
      outputs: [{ name: 'y', dataType: 'float', shape: [batch, width] }],
      initializers,
    },
  };
}

/** out = Gather(a, idx) + Gather(b, idx): touches a few elements of two huge initializers. */
export function gatherProbe(): ModelProto {
  return {
    irVersion: 8,
    opsets: [{ domain: '', version: 18 }],
    producerName: 'hps-studio-bench',
    producerVersion: '0',
    graph: {
      name: 'gather_probe',
      nodes: [
        { opType: 'Gather', inputs: ['a', 'idx'], outputs: ['ga'] },
        { opType: 'Gather', inputs: ['b', 'idx'], outputs: ['gb'] },
        { opType: 'Add', inputs: ['ga', 'gb'], outputs: ['out'] },
      ],
      inputs: [{ name: 'idx', dataType: 'int64', shape: ['k'] }],
      outputs: [{ name: 'out', dataType: 'float', shape: ['k'] }],
      initializers: [],
    },
  };
}
