// CLIP's towers cut at a block boundary: a frozen prefix (embeddings and the first `split` blocks) whose
// output is computed once per image / prompt and cached, and a suffix (the remaining blocks, the final
// LayerNorm and the projection) that training runs every step. Same ops, in the same order, as
// models/clip/towers.ts, so prefix ∘ suffix equals encode_image / encode_text.
import type { Graph, Tensor } from '../../engine/ir/graph';
import { layerNorm, residualBlock, type BlockSettings, type Params } from '../../models/clip/blocks';
import type { ClipConfig } from '../../models/clip';

export const PIXELS = 'pixels';
export const TOKENS = 'tokens';
export const EOT = 'eot_index';
export const IMAGE_HIDDEN = 'image_hidden';
export const TEXT_HIDDEN = 'text_hidden';

function blocks(g: Graph, x: Tensor, p: Params, prefix: string, from: number, to: number, s: BlockSettings): Tensor {
  let h = x;
  for (let i = from; i < to; i++) h = residualBlock(g, h, p, `${prefix}.resblocks.${i}`, s);
  return h;
}

/** −∞ above the diagonal, as OpenAI's build_attention_mask. */
function causalMask(g: Graph, length: number): Tensor {
  const data = new Float32Array(length * length);
  for (let i = 0; i < length; i++) data.fill(-Infinity, i * length + i + 1, (i + 1) * length);
  return g.constant(data, [length, length]);
}

function visionSettings(cfg: ClipConfig): BlockSettings {
  return { tower: cfg.vision, activation: cfg.activation, eps: cfg.layerNormEps };
}

function textSettings(g: Graph, cfg: ClipConfig): BlockSettings {
  return { tower: cfg.text, activation: cfg.activation, eps: cfg.layerNormEps, mask: causalMask(g, cfg.text.contextLength) };
}

/** pixels [batch, 3, S, S] → hidden states [batch, grid² + 1, width] after block `split` − 1. */
export function visionPrefix(g: Graph, cfg: ClipConfig, p: Params, split: number): Tensor {
  const { width, patchSize, grid, imageSize } = cfg.vision;
  const pixels = g.input(PIXELS, ['batch', 3, imageSize, imageSize]);
  const patches = g.conv(pixels, p('visual.conv1.weight'), undefined, { stride: patchSize });
  const tokens = patches.reshape([0, width, -1]).transpose([0, 2, 1]);
  const classRow = g.pad(p('visual.class_embedding').reshape([1, width]), [0, 0, grid * grid, 0]);
  const embedded = g.pad(tokens, [0, 1, 0, 0, 0, 0]).add(classRow.add(p('visual.positional_embedding')));
  const normed = layerNorm(g, embedded, p, 'visual.ln_pre', cfg.layerNormEps);
  return g.output(IMAGE_HIDDEN, blocks(g, normed, p, 'visual.transformer', 0, split, visionSettings(cfg)));
}

/** Cached hidden states [images, grid² + 1, width] → unnormalised image features [images, embed]. */
export function visionSuffix(g: Graph, cfg: ClipConfig, p: Params, split: number): Tensor {
  const { width, grid } = cfg.vision;
  const hidden = g.input(IMAGE_HIDDEN, ['images', grid * grid + 1, width]);
  const encoded = blocks(g, hidden, p, 'visual.transformer', split, cfg.vision.layers, visionSettings(cfg));
  const pooled = g.slice(encoded, [0], [1], [1]).squeeze([1]);
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
  const encoded = blocks(g, hidden, p, 'transformer', split, cfg.text.layers, textSettings(g, cfg));
  const positions = g.constant(Int32Array.from({ length: contextLength }, (_, i) => i), [contextLength], 'i32');
  const oneHot = g.cast(g.equal(eot.unsqueeze([-1]), positions), 'f32').unsqueeze([1]);
  const pooled = oneHot.matmul(encoded).squeeze([1]);
  return layerNorm(g, pooled, p, 'ln_final', cfg.layerNormEps).matmul(p('text_projection'));
}
