// UNet2DConditionModel (diffusers 0.19.3, unet_2d_condition.py / unet_2d_blocks.py / resnet.py /
// transformer_2d.py / attention.py) as an engine graph. Channel counts are read from the weights, so the
// same code builds SD 1.x, SD 2.x and the tiny test model. Inputs: sample [batch, C, H, W], the sinusoidal
// timestep embedding [batch, block_out_channels[0]] (computed on the host, see timestepEmbedding), and
// encoder_hidden_states [batch, sequence, cross_attention_dim].
import { Graph, type Tensor } from '../../engine/ir/graph';
import type { UnetConfig } from './config';
import { loraDelta, loraLinear, type LoraPair, type LoraProvider } from './lora-graph';
import type { ComponentWeights, WeightStorage } from './weights';

export const UNET_SAMPLE = 'sample';
export const UNET_TIME = 'timestep_embedding';
export const UNET_CONTEXT = 'encoder_hidden_states';
export const UNET_OUTPUT = 'noise_pred';

export interface UnetBuildOptions {
  /** Latent height and width (static: the transformer reshapes use them). */
  height: number;
  width: number;
  storage: WeightStorage;
  /** Called for every module `loraScope` names. */
  lora?: LoraProvider;
  /** Default 'attention'. */
  loraScope?: UnetLoraScope;
  /**
   * Gradient checkpointing for training graphs: each resnet (with the skip concatenation before it) and each
   * Transformer2D is a Graph.checkpoint segment, recomputed in the backward pass instead of keeping its
   * activations. The forward values are unchanged; inference ignores it. Default off.
   */
  checkpointing?: boolean;
}

/**
 * Modules that take LoRA: 'attention' is every attention's to_q/to_k/to_v/to_out.0 (what LoRA training trains);
 * 'transformer' adds each Transformer2D's proj_in, proj_out (1×1 convolutions in SD 1.x), ff.net.0.proj and
 * ff.net.2: every linear or 1×1 module kohya's sd-scripts patches in the UNet.
 */
export type UnetLoraScope = 'attention' | 'transformer';

interface Ctx {
  g: Graph;
  w: ComponentWeights;
  cfg: UnetConfig;
  storage: WeightStorage;
  lora?: LoraProvider;
  loraScope: UnetLoraScope;
  params: Map<string, Tensor>;
  /** Builds a block as a checkpoint segment when checkpointing is on. */
  block(name: string, build: () => Tensor): Tensor;
}

function p(ctx: Ctx, name: string): Tensor {
  let t = ctx.params.get(name);
  if (!t) {
    t = ctx.g.param(name, ctx.w.lazy(name, ctx.storage), { shape: ctx.w.shape(name) });
    ctx.params.set(name, t);
  }
  return t;
}

function optional(ctx: Ctx, name: string): Tensor | undefined {
  return ctx.w.has(name) ? p(ctx, name) : undefined;
}

function conv(ctx: Ctx, x: Tensor, name: string, stride = 1): Tensor {
  const kernel = ctx.w.shape(`${name}.weight`)[2]!;
  return ctx.g.conv(x, p(ctx, `${name}.weight`), optional(ctx, `${name}.bias`), {
    stride,
    pad: (kernel - 1) / 2,
  });
}

function groupNorm(ctx: Ctx, x: Tensor, name: string, eps: number): Tensor {
  return ctx.g.groupNorm(x, ctx.cfg.normNumGroups, p(ctx, `${name}.weight`), p(ctx, `${name}.bias`), eps);
}

function linear(ctx: Ctx, x: Tensor, name: string): Tensor {
  return ctx.g.linear(x, p(ctx, `${name}.weight`), optional(ctx, `${name}.bias`));
}

/** The LoRA pair of a module when its scope is patched; the weight's first two dims are [out, in]. */
function loraOf(ctx: Ctx, name: string, scope: UnetLoraScope): LoraPair | undefined {
  if (scope === 'transformer' && ctx.loraScope !== 'transformer') return undefined;
  const [outFeatures, inFeatures] = ctx.w.shape(`${name}.weight`) as [number, number];
  return ctx.lora?.(ctx.g, { module: name, inFeatures, outFeatures });
}

/** A linear layer that LoRA may patch. */
function projection(ctx: Ctx, x: Tensor, name: string, scope: UnetLoraScope = 'attention'): Tensor {
  const lora = loraOf(ctx, name, scope);
  return loraLinear(ctx.g, x, p(ctx, `${name}.weight`), optional(ctx, `${name}.bias`), lora);
}

/** A LoRA update of a 1×1 convolution, computed on its input in token layout [batch, pixels, in]. */
function pointwiseDelta(ctx: Ctx, tokens: Tensor, name: string): Tensor | undefined {
  const lora = loraOf(ctx, name, 'transformer');
  return lora && loraDelta(ctx.g, tokens, lora);
}

/** ResnetBlock2D with a time embedding (eps = norm_eps, SiLU, "default" time scale shift). */
function resnet(ctx: Ctx, x: Tensor, name: string, temb: Tensor): Tensor {
  const { g, cfg } = ctx;
  let h = conv(ctx, g.silu(groupNorm(ctx, x, `${name}.norm1`, cfg.normEps)), `${name}.conv1`);
  const t = linear(ctx, g.silu(temb), `${name}.time_emb_proj`);
  h = h.add(t.unsqueeze([2, 3]));
  h = conv(ctx, g.silu(groupNorm(ctx, h, `${name}.norm2`, cfg.normEps)), `${name}.conv2`);
  const shortcut = ctx.w.has(`${name}.conv_shortcut.weight`) ? conv(ctx, x, `${name}.conv_shortcut`) : x;
  return shortcut.add(h);
}

/** diffusers Attention (no bias on q/k/v): heads × (inner / heads), scale 1/√d. */
function attention(ctx: Ctx, x: Tensor, context: Tensor, name: string, heads: number): Tensor {
  const { g } = ctx;
  const length = x.dim(1) as number;
  const inner = ctx.w.shape(`${name}.to_q.weight`)[0]!;
  const headDim = inner / heads;
  const split = (t: Tensor) => t.reshape([0, -1, heads, headDim]).transpose([0, 2, 1, 3]);
  const q = split(projection(ctx, x, `${name}.to_q`));
  const k = split(projection(ctx, context, `${name}.to_k`));
  const v = split(projection(ctx, context, `${name}.to_v`));
  const merged = g.attention(q, k, v).transpose([0, 2, 1, 3]).reshape([0, length, inner]);
  return projection(ctx, merged, `${name}.to_out.0`);
}

/** BasicTransformerBlock: self-attention, cross-attention, GEGLU feed-forward, each pre-LayerNorm with a residual. */
function basicBlock(ctx: Ctx, x: Tensor, context: Tensor, name: string, heads: number): Tensor {
  const { g } = ctx;
  const norm = (t: Tensor, n: string) =>
    g.layerNorm(t, p(ctx, `${name}.${n}.weight`), p(ctx, `${name}.${n}.bias`), 1e-5);
  let h = attention(ctx, norm(x, 'norm1'), norm(x, 'norm1'), `${name}.attn1`, heads).add(x);
  h = attention(ctx, norm(h, 'norm2'), context, `${name}.attn2`, heads).add(h);
  const projected = projection(ctx, norm(h, 'norm3'), `${name}.ff.net.0.proj`, 'transformer');
  const hiddenWidth = (projected.dim(-1) as number) / 2;
  const [hidden, gate] = g.split(projected, [hiddenWidth, hiddenWidth], -1);
  return projection(ctx, hidden!.mul(g.gelu(gate!)), `${name}.ff.net.2`, 'transformer').add(h);
}

/** Transformer2DModel: GroupNorm (eps 1e-6), proj_in (1×1 conv or linear), blocks, proj_out, residual. */
function transformer2d(ctx: Ctx, x: Tensor, context: Tensor, name: string, heads: number): Tensor {
  const { g, cfg } = ctx;
  const [, channels, height, width] = x.shape as [unknown, number, number, number];
  const pixels = height * width;
  const normed = g.groupNorm(
    x,
    cfg.normNumGroups,
    p(ctx, `${name}.norm.weight`),
    p(ctx, `${name}.norm.bias`),
    1e-6,
  );
  const inner = ctx.w.shape(`${name}.proj_in.weight`)[0]!;
  const toTokens = (t: Tensor, c: number) => t.reshape([0, c, pixels]).transpose([0, 2, 1]);
  const toImage = (t: Tensor, c: number) => t.transpose([0, 2, 1]).reshape([0, c, height, width]);
  let h: Tensor;
  if (cfg.useLinearProjection)
    h = projection(ctx, toTokens(normed, channels), `${name}.proj_in`, 'transformer');
  else {
    h = toTokens(conv(ctx, normed, `${name}.proj_in`), inner);
    const delta = pointwiseDelta(ctx, toTokens(normed, channels), `${name}.proj_in`);
    if (delta) h = h.add(delta);
  }
  for (let i = 0; i < cfg.transformerLayersPerBlock; i++)
    h = basicBlock(ctx, h, context, `${name}.transformer_blocks.${i}`, heads);
  let out: Tensor;
  if (cfg.useLinearProjection) out = toImage(projection(ctx, h, `${name}.proj_out`, 'transformer'), channels);
  else {
    out = conv(ctx, toImage(h, inner), `${name}.proj_out`);
    const delta = pointwiseDelta(ctx, h, `${name}.proj_out`);
    if (delta) out = out.add(toImage(delta, channels));
  }
  return out.add(x);
}

export function buildUnet(weights: ComponentWeights, cfg: UnetConfig, options: UnetBuildOptions): Graph {
  const g = new Graph('sd_unet');
  const ctx: Ctx = {
    g,
    w: weights,
    cfg,
    storage: options.storage,
    lora: options.lora,
    loraScope: options.loraScope ?? 'attention',
    params: new Map(),
    block: options.checkpointing ? (name, build) => g.checkpoint(name, build) : (_name, build) => build(),
  };
  const levels = cfg.blockOutChannels.length;
  const factor = 2 ** (levels - 1);
  if (options.height % factor !== 0 || options.width % factor !== 0)
    throw new Error(`UNet latents must be multiples of ${factor}, got ${options.height}×${options.width}`);
  const sample = g.input(UNET_SAMPLE, ['batch', cfg.inChannels, options.height, options.width]);
  const timeIn = g.input(UNET_TIME, ['batch', cfg.blockOutChannels[0]!]);
  const context = g.input(UNET_CONTEXT, ['batch', 'sequence', cfg.crossAttentionDim]);
  const temb = linear(ctx, g.silu(linear(ctx, timeIn, 'time_embedding.linear_1')), 'time_embedding.linear_2');
  // An up block's resnet concatenates the skip inside its segment, so only the two halves stay alive.
  const resnetBlock = (name: string, x: Tensor, skip?: Tensor) =>
    ctx.block(name, () => resnet(ctx, skip ? g.concat([x, skip], 1) : x, name, temb));
  const transformerBlock = (name: string, x: Tensor, heads: number) =>
    ctx.block(name, () => transformer2d(ctx, x, context, name, heads));

  let h = conv(ctx, sample, 'conv_in');
  const skips: Tensor[] = [h];
  for (let b = 0; b < levels; b++) {
    for (let l = 0; l < cfg.layersPerBlock; l++) {
      h = resnetBlock(`down_blocks.${b}.resnets.${l}`, h);
      if (cfg.downHasAttention[b]) h = transformerBlock(`down_blocks.${b}.attentions.${l}`, h, cfg.heads[b]!);
      skips.push(h);
    }
    if (b < levels - 1) {
      h = conv(ctx, h, `down_blocks.${b}.downsamplers.0.conv`, 2);
      skips.push(h);
    }
  }
  h = resnetBlock('mid_block.resnets.0', h);
  h = transformerBlock('mid_block.attentions.0', h, cfg.heads[levels - 1]!);
  h = resnetBlock('mid_block.resnets.1', h);

  const upHeads = [...cfg.heads].reverse();
  for (let b = 0; b < levels; b++) {
    for (let l = 0; l <= cfg.layersPerBlock; l++) {
      h = resnetBlock(`up_blocks.${b}.resnets.${l}`, h, skips.pop()!);
      if (cfg.upHasAttention[b]) h = transformerBlock(`up_blocks.${b}.attentions.${l}`, h, upHeads[b]!);
    }
    if (b < levels - 1) h = conv(ctx, g.upsample(h, 2), `up_blocks.${b}.upsamplers.0.conv`);
  }
  h = conv(ctx, g.silu(groupNorm(ctx, h, 'conv_norm_out', cfg.normEps)), 'conv_out');
  g.output(UNET_OUTPUT, h);
  return g;
}

/**
 * diffusers' get_timestep_embedding in float32 (flip_sin_to_cos → [cos, sin]); one row per timestep.
 * exponent = −ln(10000)·i / (half − freq_shift); emb = t · exp(exponent).
 */
export function timestepEmbedding(
  timesteps: readonly number[],
  dim: number,
  flipSinToCos = true,
  freqShift = 0,
): Float32Array {
  const f = Math.fround;
  const half = Math.floor(dim / 2);
  const freqs = Array.from({ length: half }, (_, i) =>
    f(Math.exp(f(f(f(-Math.log(10000)) * i) / (half - freqShift)))),
  );
  const out = new Float32Array(timesteps.length * dim);
  timesteps.forEach((t, row) => {
    for (let i = 0; i < half; i++) {
      const arg = f(f(t) * freqs[i]!);
      const [first, second] = flipSinToCos ? [Math.cos(arg), Math.sin(arg)] : [Math.sin(arg), Math.cos(arg)];
      out[row * dim + i] = first;
      out[row * dim + half + i] = second;
    }
  });
  return out;
}
