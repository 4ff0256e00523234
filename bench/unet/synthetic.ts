// A UNet2DConditionModel state dict of any config with random weights, generated on demand (nothing is
// downloaded): the names and shapes diffusers gives that config, U(±1/√fan_in) weights, unit norms, zero
// biases, so activations stay in a realistic range.
import type { TensorData } from '../../main/checkpoints';
import { ComponentWeights, type UnetConfig } from '../../main/models/sd';

export const SD15_UNET: UnetConfig = {
  inChannels: 4,
  outChannels: 4,
  blockOutChannels: [320, 640, 1280, 1280],
  layersPerBlock: 2,
  downHasAttention: [true, true, true, false],
  upHasAttention: [false, true, true, true],
  heads: [8, 8, 8, 8],
  crossAttentionDim: 768,
  useLinearProjection: false,
  normNumGroups: 32,
  normEps: 1e-5,
  transformerLayersPerBlock: 1,
  sampleSize: 64,
  flipSinToCos: true,
  freqShift: 0,
};

type Shapes = Map<string, number[]>;

function conv(s: Shapes, name: string, cin: number, cout: number, k = 3): void {
  s.set(`${name}.weight`, [cout, cin, k, k]);
  s.set(`${name}.bias`, [cout]);
}
function lin(s: Shapes, name: string, cin: number, cout: number, bias = true): void {
  s.set(`${name}.weight`, [cout, cin]);
  if (bias) s.set(`${name}.bias`, [cout]);
}
function norm(s: Shapes, name: string, c: number): void {
  s.set(`${name}.weight`, [c]);
  s.set(`${name}.bias`, [c]);
}
function resnet(s: Shapes, name: string, cin: number, cout: number, temb: number): void {
  norm(s, `${name}.norm1`, cin);
  conv(s, `${name}.conv1`, cin, cout);
  lin(s, `${name}.time_emb_proj`, temb, cout);
  norm(s, `${name}.norm2`, cout);
  conv(s, `${name}.conv2`, cout, cout);
  if (cin !== cout) conv(s, `${name}.conv_shortcut`, cin, cout, 1);
}
function transformer(s: Shapes, name: string, c: number, cross: number): void {
  norm(s, `${name}.norm`, c);
  conv(s, `${name}.proj_in`, c, c, 1);
  const b = `${name}.transformer_blocks.0`;
  for (const n of ['norm1', 'norm2', 'norm3']) norm(s, `${b}.${n}`, c);
  for (const [attn, kv] of [
    ['attn1', c],
    ['attn2', cross],
  ] as const) {
    lin(s, `${b}.${attn}.to_q`, c, c, false);
    lin(s, `${b}.${attn}.to_k`, kv, c, false);
    lin(s, `${b}.${attn}.to_v`, kv, c, false);
    lin(s, `${b}.${attn}.to_out.0`, c, c);
  }
  lin(s, `${b}.ff.net.0.proj`, c, c * 8);
  lin(s, `${b}.ff.net.2`, c * 4, c);
  conv(s, `${name}.proj_out`, c, c, 1);
}

/** diffusers' tensor names and shapes for a config (one transformer layer per attention block). */
export function unetShapes(cfg: UnetConfig): Shapes {
  const s: Shapes = new Map();
  const ch = cfg.blockOutChannels;
  const temb = ch[0]! * 4;
  conv(s, 'conv_in', cfg.inChannels, ch[0]!);
  lin(s, 'time_embedding.linear_1', ch[0]!, temb);
  lin(s, 'time_embedding.linear_2', temb, temb);
  const skips = [ch[0]!];
  let c = ch[0]!;
  ch.forEach((out, b) => {
    for (let l = 0; l < cfg.layersPerBlock; l++) {
      resnet(s, `down_blocks.${b}.resnets.${l}`, c, out, temb);
      c = out;
      if (cfg.downHasAttention[b])
        transformer(s, `down_blocks.${b}.attentions.${l}`, c, cfg.crossAttentionDim);
      skips.push(c);
    }
    if (b < ch.length - 1) {
      conv(s, `down_blocks.${b}.downsamplers.0.conv`, c, c);
      skips.push(c);
    }
  });
  resnet(s, 'mid_block.resnets.0', c, c, temb);
  transformer(s, 'mid_block.attentions.0', c, cfg.crossAttentionDim);
  resnet(s, 'mid_block.resnets.1', c, c, temb);
  [...ch].reverse().forEach((out, b) => {
    for (let l = 0; l <= cfg.layersPerBlock; l++) {
      resnet(s, `up_blocks.${b}.resnets.${l}`, c + skips.pop()!, out, temb);
      c = out;
      if (cfg.upHasAttention[b]) transformer(s, `up_blocks.${b}.attentions.${l}`, c, cfg.crossAttentionDim);
    }
    if (b < ch.length - 1) conv(s, `up_blocks.${b}.upsamplers.0.conv`, c, c);
  });
  norm(s, 'conv_norm_out', c);
  conv(s, 'conv_out', c, cfg.outChannels);
  return s;
}

/** xorshift32 → uniform [−1, 1). */
function fillUniform(out: Float32Array, seed: number, bound: number): void {
  let x = seed | 1;
  for (let i = 0; i < out.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = ((x >>> 0) / 2 ** 31 - 1) * bound;
  }
}

function syntheticTensor(name: string, shape: number[], seed: number): TensorData {
  const count = shape.reduce((a, b) => a * b, 1);
  return {
    dtype: 'F32',
    shape,
    byteLength: count * 4,
    read: async () => {
      const values = new Float32Array(count);
      const isNorm = /norm[0-9_a-z]*\.weight$/.test(name);
      if (isNorm) values.fill(1);
      else if (!name.endsWith('.bias')) fillUniform(values, seed, 1 / Math.sqrt(count / shape[0]!));
      return new Uint8Array(values.buffer);
    },
  };
}

export function syntheticUnetWeights(cfg: UnetConfig): { weights: ComponentWeights; parameters: number } {
  const tensors = new Map<string, TensorData>();
  let parameters = 0;
  let seed = 1;
  for (const [name, shape] of unetShapes(cfg)) {
    tensors.set(name, syntheticTensor(name, shape, seed++ * 2654435761));
    parameters += shape.reduce((a, b) => a * b, 1);
  }
  return {
    weights: new ComponentWeights('unet', tensors, `synthetic-unet:${cfg.blockOutChannels.join('-')}`),
    parameters,
  };
}
