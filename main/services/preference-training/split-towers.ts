// CLIP's towers cut at a block boundary: a frozen prefix (embeddings and the first `split` blocks) whose
// output is computed once per image / prompt and cached, and a suffix (the remaining blocks, the final
// LayerNorm and the projection) that training runs every step. Same ops, in the same order, as
// models/clip/towers.ts, so prefix ∘ suffix equals encode_image / encode_text — except that the last block
// computes only the pooled token's row (the class token, or each prompt's EOT): its keys and values still
// come from every token, but no other row of it reaches the features, so attention-out, MLP and their
// gradients shrink by the sequence length (257 image tokens at ViT-*/14).
import type { Graph, Tensor } from '../../engine/ir/graph';
import {
  causalMask,
  layerNorm,
  residualBlock,
  type BlockSettings,
  type Params,
} from '../../models/clip/blocks';
import { embedImage } from '../../models/clip/towers';
import type { ClipConfig } from '../../models/clip';

export const PIXELS = 'pixels';
export const TOKENS = 'tokens';
export const EOT = 'eot_index';
export const IMAGE_HIDDEN = 'image_hidden';
export const TEXT_HIDDEN = 'text_hidden';

function blocks(
  g: Graph,
  x: Tensor,
  p: Params,
  prefix: string,
  from: number,
  to: number,
  s: BlockSettings,
): Tensor {
  let h = x;
  for (let i = from; i < to; i++) h = residualBlock(g, h, p, `${prefix}.resblocks.${i}`, s);
  return h;
}

/** Picks the pooled row of a [batch, tokens, C] tensor as [batch, 1, C]. */
type RowPicker = (t: Tensor) => Tensor;

/**
 * The tower's last residual block evaluated for one row: x [batch, tokens, W] → [batch, 1, W]. `mask`
 * ([batch, 1, 1, tokens]) is added to that row's attention scores.
 */
function pooledFinalBlock(
  g: Graph,
  x: Tensor,
  p: Params,
  name: string,
  s: BlockSettings,
  pick: RowPicker,
  mask?: Tensor,
): Tensor {
  const { width, heads } = s.tower;
  const tokens = x.dim(1) as number;
  const headDim = width / heads;
  const qkv = g.linear(
    layerNorm(g, x, p, `${name}.ln_1`, s.eps),
    p(`${name}.attn.in_proj_weight`),
    p(`${name}.attn.in_proj_bias`),
  );
  const [q, k, v] = g.split(qkv, [width, width, width], -1);
  const toHeads = (t: Tensor, length: number) =>
    t.reshape([0, length, heads, headDim]).transpose([0, 2, 1, 3]);
  const context = g.attention(
    toHeads(pick(q!), 1),
    toHeads(k!, tokens),
    toHeads(v!, tokens),
    mask ? { mask } : {},
  );
  const merged = context.transpose([0, 2, 1, 3]).reshape([0, 1, width]);
  const attended = pick(x).add(
    g.linear(merged, p(`${name}.attn.out_proj.weight`), p(`${name}.attn.out_proj.bias`)),
  );
  const fc = g.linear(
    layerNorm(g, attended, p, `${name}.ln_2`, s.eps),
    p(`${name}.mlp.c_fc.weight`),
    p(`${name}.mlp.c_fc.bias`),
  );
  const hidden = s.activation === 'quick_gelu' ? g.quickGelu(fc) : g.gelu(fc);
  return attended.add(g.linear(hidden, p(`${name}.mlp.c_proj.weight`), p(`${name}.mlp.c_proj.bias`)));
}

/** Blocks from..layers−1 of a tower, the last one for the pooled row only → [batch, C]. */
function pooledSuffix(
  g: Graph,
  x: Tensor,
  p: Params,
  prefix: string,
  from: number,
  s: BlockSettings,
  pick: RowPicker,
  mask?: Tensor,
): Tensor {
  const layers = s.tower.layers;
  if (from >= layers) return pick(x).squeeze([1]);
  const h = blocks(g, x, p, prefix, from, layers - 1, s);
  return pooledFinalBlock(g, h, p, `${prefix}.resblocks.${layers - 1}`, s, pick, mask).squeeze([1]);
}

function visionSettings(cfg: ClipConfig): BlockSettings {
  return { tower: cfg.vision, activation: cfg.activation, eps: cfg.layerNormEps };
}

function textSettings(g: Graph, cfg: ClipConfig): BlockSettings {
  return {
    tower: cfg.text,
    activation: cfg.activation,
    eps: cfg.layerNormEps,
    mask: causalMask(g, cfg.text.contextLength),
  };
}

/** pixels [batch, 3, S, S] → hidden states [batch, grid² + 1, width] after block `split` − 1. */
export function visionPrefix(g: Graph, cfg: ClipConfig, p: Params, split: number): Tensor {
  const { imageSize } = cfg.vision;
  const pixels = g.input(PIXELS, ['batch', 3, imageSize, imageSize]);
  const embedded = embedImage(g, cfg.vision, p, pixels);
  const normed = layerNorm(g, embedded, p, 'visual.ln_pre', cfg.layerNormEps);
  return g.output(IMAGE_HIDDEN, blocks(g, normed, p, 'visual.transformer', 0, split, visionSettings(cfg)));
}

/** Cached hidden states [images, grid² + 1, width] → unnormalised image features [images, embed]. */
export function visionSuffix(g: Graph, cfg: ClipConfig, p: Params, split: number): Tensor {
  const { width, grid } = cfg.vision;
  const hidden = g.input(IMAGE_HIDDEN, ['images', grid * grid + 1, width]);
  const classToken: RowPicker = (t) => g.slice(t, [0], [1], [1]);
  const pooled = pooledSuffix(g, hidden, p, 'visual.transformer', split, visionSettings(cfg), classToken);
  return layerNorm(g, pooled, p, 'visual.ln_post', cfg.layerNormEps).matmul(p('visual.proj'));
}

/** tokens [batch, L] (int32) → hidden states [batch, L, width] after block `split` − 1. */
export function textPrefix(g: Graph, cfg: ClipConfig, p: Params, split: number): Tensor {
  const tokens = g.input(TOKENS, ['batch', cfg.text.contextLength], { dtype: 'i32' });
  const embedded = g.gather(p('token_embedding.weight'), tokens, 0).add(p('positional_embedding'));
  return g.output(TEXT_HIDDEN, blocks(g, embedded, p, 'transformer', 0, split, textSettings(g, cfg)));
}

/** Cached hidden states [prompts, L, width] and EOT positions [prompts] → unnormalised text features [prompts, embed]. */
export function textSuffix(g: Graph, cfg: ClipConfig, p: Params, split: number): Tensor {
  const { contextLength, width } = cfg.text;
  const hidden = g.input(TEXT_HIDDEN, ['prompts', contextLength, width]);
  const eot = g.input(EOT, ['prompts'], { dtype: 'i32' });
  const positions = g.constant(
    Int32Array.from({ length: contextLength }, (_, i) => i),
    [contextLength],
    'i32',
  );
  const row = eot.unsqueeze([-1]);
  const oneHot = g.cast(g.equal(row, positions), 'f32').unsqueeze([1]);
  // The EOT row of the causal mask: −∞ on the positions after it.
  const eotMask = g.where(g.greater(positions, row), g.scalar(-Infinity), 0).unsqueeze([1, 2]);
  const eotToken: RowPicker = (t) => oneHot.matmul(t);
  const pooled = pooledSuffix(g, hidden, p, 'transformer', split, textSettings(g, cfg), eotToken, eotMask);
  return layerNorm(g, pooled, p, 'ln_final', cfg.layerNormEps).matmul(p('text_projection'));
}
