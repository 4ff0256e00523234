// Random-weight CLIP checkpoints with the real towers' shapes, as OpenAI-layout tensor tables. Only the
// image tower has bytes (generated on read with a seeded xorshift); the text tower is shapes only.
import type { TensorData } from '../../main/checkpoints';
import type { ScorerKind } from '../../main/services/scoring';

export interface ClipShape {
  name: string;
  /** The kind whose conventions the real checkpoint follows (heads, activation). */
  kind: ScorerKind;
  visionWidth: number;
  visionLayers: number;
  textWidth: number;
  textLayers: number;
  embed: number;
}

export const VIT_L_14: ClipShape = {
  name: 'ViT-L/14',
  kind: 'hps-v1',
  visionWidth: 1024,
  visionLayers: 24,
  textWidth: 768,
  textLayers: 12,
  embed: 768,
};
export const VIT_H_14: ClipShape = {
  name: 'ViT-H/14',
  kind: 'hps-v2',
  visionWidth: 1280,
  visionLayers: 32,
  textWidth: 1024,
  textLayers: 24,
  embed: 1024,
};

/** Uniform in [-scale, scale) from xorshift32: about 1 ns per value, never all-equal. */
export function xorshiftFill(count: number, seed: number, scale: number): Float32Array {
  const out = new Float32Array(count);
  let s = seed >>> 0 || 1;
  const k = (2 * scale) / 2 ** 32;
  for (let i = 0; i < count; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = (s >>> 0) * k - scale;
  }
  return out;
}

function generated(
  shape: number[],
  seed: number,
  fill: (count: number, seed: number) => Float32Array,
): TensorData {
  const count = shape.reduce((a, b) => a * b, 1);
  return {
    dtype: 'F32',
    shape,
    byteLength: count * 4,
    read: () => {
      const data = fill(count, seed);
      return Promise.resolve(new Uint8Array(data.buffer));
    },
  };
}

function shapeOnly(shape: number[]): TensorData {
  return {
    dtype: 'F32',
    shape,
    byteLength: 4 * shape.reduce((a, b) => a * b, 1),
    read: () => Promise.reject(new Error('the bench has no text weights')),
  };
}

function block(prefix: string, width: number): [string, number[]][] {
  return [
    ['ln_1.weight', [width]],
    ['ln_1.bias', [width]],
    ['attn.in_proj_weight', [3 * width, width]],
    ['attn.in_proj_bias', [3 * width]],
    ['attn.out_proj.weight', [width, width]],
    ['attn.out_proj.bias', [width]],
    ['ln_2.weight', [width]],
    ['ln_2.bias', [width]],
    ['mlp.c_fc.weight', [4 * width, width]],
    ['mlp.c_fc.bias', [4 * width]],
    ['mlp.c_proj.weight', [width, 4 * width]],
    ['mlp.c_proj.bias', [width]],
  ].map(([n, s]) => [`${prefix}.${n}`, s as number[]]);
}

/** Values: LayerNorm weights 1, biases ±0.01, embeddings ±0.02, matrices ±√(3/fan_in) (unit-variance outputs). */
function fillFor(name: string, shape: number[]): (count: number, seed: number) => Float32Array {
  if (/ln_\w+\.weight$/.test(name)) return (count) => new Float32Array(count).fill(1);
  if (name.endsWith('bias')) return (count, seed) => xorshiftFill(count, seed, 0.01);
  if (shape.length === 1 || name.endsWith('embedding'))
    return (count, seed) => xorshiftFill(count, seed, 0.02);
  const fanIn = shape.slice(1).reduce((a, b) => a * b, 1);
  return (count, seed) => xorshiftFill(count, seed, Math.sqrt(3 / fanIn));
}

export function randomClip(shape: ClipShape): Map<string, TensorData> {
  const { visionWidth: vw, textWidth: tw } = shape;
  const vision: [string, number[]][] = [
    ['visual.conv1.weight', [vw, 3, 14, 14]],
    ['visual.class_embedding', [vw]],
    ['visual.positional_embedding', [257, vw]],
    ['visual.ln_pre.weight', [vw]],
    ['visual.ln_pre.bias', [vw]],
    ...Array.from({ length: shape.visionLayers }, (_, i) =>
      block(`visual.transformer.resblocks.${i}`, vw),
    ).flat(),
    ['visual.ln_post.weight', [vw]],
    ['visual.ln_post.bias', [vw]],
    ['visual.proj', [vw, shape.embed]],
  ];
  const tensors = new Map<string, TensorData>();
  vision.forEach(([name, s], i) => tensors.set(name, generated(s, 0x9e3779b9 ^ (i + 1), fillFor(name, s))));
  const text: [string, number[]][] = [
    ['token_embedding.weight', [49408, tw]],
    ['positional_embedding', [77, tw]],
    ...Array.from({ length: shape.textLayers }, (_, i) => block(`transformer.resblocks.${i}`, tw)).flat(),
    ['ln_final.weight', [tw]],
    ['ln_final.bias', [tw]],
    ['text_projection', [tw, shape.embed]],
  ];
  for (const [name, s] of text) tensors.set(name, shapeOnly(s));
  tensors.set(
    'logit_scale',
    generated([], 1, () => Float32Array.of(Math.log(100))),
  );
  return tensors;
}
