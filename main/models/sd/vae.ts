// AutoencoderKL (diffusers 0.19.3 autoencoder_kl.py / vae.py): the encoder gives the latent distribution's
// mean and std (std = exp(0.5 · clamp(logvar, −30, 20))), the decoder maps latents to images in [−1, 1].
// Both run in float32 on every EP (fp16 VAE decoders overflow), which is what "keeping the VAE safe" means here.
import { Graph, type Tensor } from '../../engine/ir/graph';
import type { VaeConfig } from './config';
import type { ComponentWeights } from './weights';

export const VAE_IMAGE = 'image';
export const VAE_MEAN = 'mean';
export const VAE_STD = 'std';
export const VAE_LATENT = 'latent';
export const VAE_DECODED = 'decoded';

const EPS = 1e-6;

interface Ctx {
  g: Graph;
  w: ComponentWeights;
  groups: number;
  params: Map<string, Tensor>;
}

function p(ctx: Ctx, name: string): Tensor {
  let t = ctx.params.get(name);
  if (!t) {
    t = ctx.g.param(name, ctx.w.lazy(name, 'f32'), { shape: ctx.w.shape(name) });
    ctx.params.set(name, t);
  }
  return t;
}

function conv(ctx: Ctx, x: Tensor, name: string, options: { stride?: number; pad?: number } = {}): Tensor {
  const kernel = ctx.w.shape(`${name}.weight`)[2]!;
  return ctx.g.conv(x, p(ctx, `${name}.weight`), p(ctx, `${name}.bias`), {
    stride: options.stride ?? 1,
    pad: options.pad ?? (kernel - 1) / 2,
  });
}

function norm(ctx: Ctx, x: Tensor, name: string): Tensor {
  return ctx.g.groupNorm(x, ctx.groups, p(ctx, `${name}.weight`), p(ctx, `${name}.bias`), EPS);
}

/** ResnetBlock2D without a time embedding (eps 1e-6). */
function resnet(ctx: Ctx, x: Tensor, name: string): Tensor {
  const { g } = ctx;
  let h = conv(ctx, g.silu(norm(ctx, x, `${name}.norm1`)), `${name}.conv1`);
  h = conv(ctx, g.silu(norm(ctx, h, `${name}.norm2`)), `${name}.conv2`);
  const shortcut = ctx.w.has(`${name}.conv_shortcut.weight`) ? conv(ctx, x, `${name}.conv_shortcut`) : x;
  return shortcut.add(h);
}

/** The mid-block's single-head spatial self-attention with a group norm and a residual. */
function spatialAttention(ctx: Ctx, x: Tensor, name: string): Tensor {
  const { g } = ctx;
  const [, channels, height, width] = x.shape as [unknown, number, number, number];
  const tokens = norm(ctx, x, `${name}.group_norm`)
    .reshape([0, channels, height * width])
    .transpose([0, 2, 1]);
  const lin = (t: Tensor, n: string) =>
    g.linear(t, p(ctx, `${name}.${n}.weight`), p(ctx, `${name}.${n}.bias`));
  const attended = g.attention(lin(tokens, 'to_q'), lin(tokens, 'to_k'), lin(tokens, 'to_v'));
  const out = lin(attended, 'to_out.0').transpose([0, 2, 1]).reshape([0, channels, height, width]);
  return out.add(x);
}

function midBlock(ctx: Ctx, x: Tensor, prefix: string): Tensor {
  const h = resnet(ctx, x, `${prefix}.mid_block.resnets.0`);
  return resnet(
    ctx,
    spatialAttention(ctx, h, `${prefix}.mid_block.attentions.0`),
    `${prefix}.mid_block.resnets.1`,
  );
}

function context(w: ComponentWeights, cfg: VaeConfig, name: string): Ctx {
  return { g: new Graph(name), w, groups: cfg.normNumGroups, params: new Map() };
}

/** image [batch, 3, H, W] in [−1, 1] → mean, std [batch, latent, H/f, W/f]. */
export function buildVaeEncoder(w: ComponentWeights, cfg: VaeConfig, height: number, width: number): Graph {
  const ctx = context(w, cfg, 'sd_vae_encoder');
  const { g } = ctx;
  const levels = cfg.blockOutChannels.length;
  let h = conv(ctx, g.input(VAE_IMAGE, ['batch', cfg.inChannels, height, width]), 'encoder.conv_in');
  for (let b = 0; b < levels; b++) {
    for (let l = 0; l < cfg.layersPerBlock; l++) h = resnet(ctx, h, `encoder.down_blocks.${b}.resnets.${l}`);
    // Downsample2D with padding 0: F.pad (0, 1, 0, 1), then a stride-2 convolution.
    if (b < levels - 1)
      h = conv(ctx, g.pad(h, [0, 0, 0, 0, 0, 0, 1, 1]), `encoder.down_blocks.${b}.downsamplers.0.conv`, {
        stride: 2,
        pad: 0,
      });
  }
  h = midBlock(ctx, h, 'encoder');
  h = conv(ctx, g.silu(norm(ctx, h, 'encoder.conv_norm_out')), 'encoder.conv_out');
  const moments = conv(ctx, h, 'quant_conv');
  const [mean, logvar] = g.split(moments, [cfg.latentChannels, cfg.latentChannels], 1);
  const clamped = g.where(g.less(logvar!, -30), -30, g.where(g.greater(logvar!, 20), 20, logvar!));
  g.output(VAE_MEAN, mean!);
  g.output(VAE_STD, g.exp(clamped.mul(0.5)));
  return g;
}

/** latent [batch, latent, h, w] (already divided by scaling_factor) → decoded [batch, 3, h·f, w·f]. */
export function buildVaeDecoder(w: ComponentWeights, cfg: VaeConfig, height: number, width: number): Graph {
  const ctx = context(w, cfg, 'sd_vae_decoder');
  const { g } = ctx;
  const levels = cfg.blockOutChannels.length;
  let h = conv(ctx, g.input(VAE_LATENT, ['batch', cfg.latentChannels, height, width]), 'post_quant_conv');
  h = conv(ctx, h, 'decoder.conv_in');
  h = midBlock(ctx, h, 'decoder');
  for (let b = 0; b < levels; b++) {
    for (let l = 0; l <= cfg.layersPerBlock; l++) h = resnet(ctx, h, `decoder.up_blocks.${b}.resnets.${l}`);
    if (b < levels - 1) h = conv(ctx, g.upsample(h, 2), `decoder.up_blocks.${b}.upsamplers.0.conv`);
  }
  h = conv(ctx, g.silu(norm(ctx, h, 'decoder.conv_norm_out')), 'decoder.conv_out');
  g.output(VAE_DECODED, h);
  return g;
}
