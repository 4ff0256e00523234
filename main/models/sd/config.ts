// Architecture of each SD component, from its diffusers config.json or, for single files, from tensor
// shapes. Kept general (widths, depths, head counts, projection kind, cross-attention width) so SD 2.x
// loads through the same code.
import { z } from 'zod';
import type { ComponentWeights } from './weights';

export interface UnetConfig {
  inChannels: number;
  outChannels: number;
  blockOutChannels: number[];
  layersPerBlock: number;
  /** Per down block: CrossAttnDownBlock2D (true) or DownBlock2D. */
  downHasAttention: boolean[];
  /** Per up block (deepest first): CrossAttnUpBlock2D (true) or UpBlock2D. */
  upHasAttention: boolean[];
  /** Heads per down block. diffusers' UNet2DConditionModel reads `attention_head_dim` as the head COUNT. */
  heads: number[];
  crossAttentionDim: number;
  useLinearProjection: boolean;
  normNumGroups: number;
  normEps: number;
  transformerLayersPerBlock: number;
  sampleSize: number;
  flipSinToCos: boolean;
  freqShift: number;
}

export interface VaeConfig {
  inChannels: number;
  outChannels: number;
  blockOutChannels: number[];
  layersPerBlock: number;
  latentChannels: number;
  normNumGroups: number;
  scalingFactor: number;
  sampleSize: number;
}

export interface TextEncoderConfig {
  width: number;
  layers: number;
  heads: number;
  contextLength: number;
  vocabSize: number;
  activation: 'quick_gelu' | 'gelu';
  layerNormEps: number;
}

const intOrList = z.union([z.number().int().positive(), z.array(z.number().int().positive())]);

const unetSchema = z.looseObject({
  in_channels: z.number().int().positive().default(4),
  out_channels: z.number().int().positive().default(4),
  block_out_channels: z.array(z.number().int().positive()).min(1),
  layers_per_block: z.number().int().positive().default(2),
  down_block_types: z.array(z.enum(['CrossAttnDownBlock2D', 'DownBlock2D'])),
  up_block_types: z.array(z.enum(['CrossAttnUpBlock2D', 'UpBlock2D'])),
  mid_block_type: z.literal('UNetMidBlock2DCrossAttn').nullish(),
  attention_head_dim: intOrList.default(8),
  num_attention_heads: intOrList.nullish(),
  cross_attention_dim: z.number().int().positive().default(1280),
  use_linear_projection: z.boolean().default(false),
  norm_num_groups: z.number().int().positive().default(32),
  norm_eps: z.number().positive().default(1e-5),
  transformer_layers_per_block: z.number().int().positive().default(1),
  sample_size: z.number().int().positive().default(64),
  flip_sin_to_cos: z.boolean().default(true),
  freq_shift: z.number().default(0),
  time_embedding_type: z.literal('positional').default('positional'),
  class_embed_type: z.null({ error: 'class embeddings are not supported' }).nullish(),
  addition_embed_type: z.null({ error: 'addition embeddings (SDXL) are not supported' }).nullish(),
  upcast_attention: z.boolean().nullish(),
  resnet_time_scale_shift: z.literal('default').default('default'),
});

function parse<T extends z.ZodType>(schema: T, json: unknown, what: string): z.infer<T> {
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new Error(`invalid ${what} config: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

function perBlock(value: number | number[], blocks: number, what: string): number[] {
  if (typeof value === 'number') return Array<number>(blocks).fill(value);
  if (value.length !== blocks)
    throw new Error(`UNet config: ${what} has ${value.length} entries for ${blocks} blocks`);
  return value;
}

export function unetConfigFromJson(json: unknown): UnetConfig {
  const c = parse(unetSchema, json, 'UNet');
  const blocks = c.block_out_channels.length;
  if (c.down_block_types.length !== blocks || c.up_block_types.length !== blocks)
    throw new Error(
      `UNet config: ${blocks} block widths but ${c.down_block_types.length} down / ${c.up_block_types.length} up blocks`,
    );
  // diffusers 0.19: `num_attention_heads = num_attention_heads or attention_head_dim` (a known naming quirk).
  const heads = perBlock(c.num_attention_heads ?? c.attention_head_dim, blocks, 'attention_head_dim');
  return {
    inChannels: c.in_channels,
    outChannels: c.out_channels,
    blockOutChannels: c.block_out_channels,
    layersPerBlock: c.layers_per_block,
    downHasAttention: c.down_block_types.map((t) => t === 'CrossAttnDownBlock2D'),
    upHasAttention: c.up_block_types.map((t) => t === 'CrossAttnUpBlock2D'),
    heads,
    crossAttentionDim: c.cross_attention_dim,
    useLinearProjection: c.use_linear_projection,
    normNumGroups: c.norm_num_groups,
    normEps: c.norm_eps,
    transformerLayersPerBlock: c.transformer_layers_per_block,
    sampleSize: c.sample_size,
    flipSinToCos: c.flip_sin_to_cos,
    freqShift: c.freq_shift,
  };
}

const vaeSchema = z.looseObject({
  in_channels: z.number().int().positive().default(3),
  out_channels: z.number().int().positive().default(3),
  block_out_channels: z.array(z.number().int().positive()).min(1),
  layers_per_block: z.number().int().positive().default(1),
  latent_channels: z.number().int().positive().default(4),
  norm_num_groups: z.number().int().positive().default(32),
  scaling_factor: z.number().positive().default(0.18215),
  sample_size: z.number().int().positive().default(512),
  down_block_types: z.array(z.literal('DownEncoderBlock2D')).optional(),
  up_block_types: z.array(z.literal('UpDecoderBlock2D')).optional(),
});

export function vaeConfigFromJson(json: unknown): VaeConfig {
  const c = parse(vaeSchema, json, 'VAE');
  return {
    inChannels: c.in_channels,
    outChannels: c.out_channels,
    blockOutChannels: c.block_out_channels,
    layersPerBlock: c.layers_per_block,
    latentChannels: c.latent_channels,
    normNumGroups: c.norm_num_groups,
    scalingFactor: c.scaling_factor,
    sampleSize: c.sample_size,
  };
}

const textSchema = z.looseObject({
  hidden_size: z.number().int().positive(),
  num_hidden_layers: z.number().int().positive(),
  num_attention_heads: z.number().int().positive(),
  max_position_embeddings: z.number().int().positive().default(77),
  vocab_size: z.number().int().positive().default(49408),
  hidden_act: z.enum(['quick_gelu', 'gelu']).default('quick_gelu'),
  layer_norm_eps: z.number().positive().default(1e-5),
});

export function textEncoderConfigFromJson(json: unknown): TextEncoderConfig {
  const c = parse(textSchema, json, 'text encoder');
  if (c.hidden_size % c.num_attention_heads !== 0)
    throw new Error(
      `text encoder config: ${c.hidden_size} wide is not divisible into ${c.num_attention_heads} heads`,
    );
  return {
    width: c.hidden_size,
    layers: c.num_hidden_layers,
    heads: c.num_attention_heads,
    contextLength: c.max_position_embeddings,
    vocabSize: c.vocab_size,
    activation: c.hidden_act,
    layerNormEps: c.layer_norm_eps,
  };
}

function countIndices(names: readonly string[], pattern: RegExp): number {
  let top = -1;
  for (const n of names) {
    const m = pattern.exec(n);
    if (m) top = Math.max(top, Number(m[1]));
  }
  return top + 1;
}

/**
 * A single file has no config: widths come from shapes. Head counts cannot be seen in shapes; SD 1.x
 * (cross-attention 768, and narrower test models) uses 8 heads per block, SD 2.x (1024) 64-wide heads.
 */
export function unetConfigFromWeights(w: ComponentWeights): UnetConfig {
  const names = w.names();
  const blocks = countIndices(names, /^down_blocks\.(\d+)\./);
  if (blocks === 0) throw new Error('UNet weights have no down_blocks');
  const layersPerBlock = countIndices(names, /^down_blocks\.0\.resnets\.(\d+)\./);
  const blockOutChannels = Array.from(
    { length: blocks },
    (_, i) => w.shape(`down_blocks.${i}.resnets.0.conv1.weight`)[0]!,
  );
  const downHasAttention = Array.from({ length: blocks }, (_, i) =>
    w.has(`down_blocks.${i}.attentions.0.proj_in.weight`),
  );
  const upHasAttention = Array.from({ length: blocks }, (_, i) =>
    w.has(`up_blocks.${i}.attentions.0.proj_in.weight`),
  );
  const crossAttentionDim = w.shape('mid_block.attentions.0.transformer_blocks.0.attn2.to_k.weight')[1]!;
  const heads = blockOutChannels.map((c) => (crossAttentionDim >= 1024 ? c / 64 : 8));
  const [convIn] = [w.shape('conv_in.weight')];
  return {
    inChannels: convIn[1]!,
    outChannels: w.shape('conv_out.weight')[0]!,
    blockOutChannels,
    layersPerBlock,
    downHasAttention,
    upHasAttention,
    heads,
    crossAttentionDim,
    useLinearProjection: w.shape('mid_block.attentions.0.proj_in.weight').length === 2,
    normNumGroups: 32,
    normEps: 1e-5,
    transformerLayersPerBlock: countIndices(names, /^mid_block\.attentions\.0\.transformer_blocks\.(\d+)\./),
    sampleSize: 64,
    flipSinToCos: true,
    freqShift: 0,
  };
}

export function vaeConfigFromWeights(w: ComponentWeights): VaeConfig {
  const names = w.names();
  const blocks = countIndices(names, /^encoder\.down_blocks\.(\d+)\./);
  if (blocks === 0) throw new Error('VAE weights have no encoder.down_blocks');
  return {
    inChannels: w.shape('encoder.conv_in.weight')[1]!,
    outChannels: w.shape('decoder.conv_out.weight')[0]!,
    blockOutChannels: Array.from(
      { length: blocks },
      (_, i) => w.shape(`encoder.down_blocks.${i}.resnets.0.conv2.weight`)[0]!,
    ),
    layersPerBlock: countIndices(names, /^encoder\.down_blocks\.0\.resnets\.(\d+)\./),
    latentChannels: w.shape('post_quant_conv.weight')[0]!,
    normNumGroups: 32,
    scalingFactor: 0.18215,
    sampleSize: 512,
  };
}

/** SD 1.x (OpenAI CLIP, 768 wide): QuickGELU; SD 2.x (OpenCLIP, 1024): exact GELU; heads are 64 wide. */
export function textEncoderConfigFromWeights(w: ComponentWeights): TextEncoderConfig {
  const [vocabSize, width] = w.shape('text_model.embeddings.token_embedding.weight') as [number, number];
  const layers = countIndices(w.names(), /^text_model\.encoder\.layers\.(\d+)\./);
  if (width % 64 !== 0)
    throw new Error(
      `text encoder ${width} wide: the head count cannot be inferred (not a multiple of 64); use a diffusers folder with config.json`,
    );
  return {
    width,
    layers,
    heads: width / 64,
    contextLength: w.shape('text_model.embeddings.position_embedding.weight')[0]!,
    vocabSize,
    activation: width >= 1024 ? 'gelu' : 'quick_gelu',
    layerNormEps: 1e-5,
  };
}

/** 2^(len(block_out_channels) − 1): pixels per latent (8 for SD). */
export function vaeScaleFactor(vae: VaeConfig): number {
  return 2 ** (vae.blockOutChannels.length - 1);
}
