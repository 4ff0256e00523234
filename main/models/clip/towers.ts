// CLIP's two encoders as engine graphs, read side by side with OpenAI model.py (VisionTransformer,
// CLIP.encode_text). Both take a symbolic batch dim; outputs are the unnormalised features.
import { Graph, type Tensor } from '../../engine/ir/graph';
import { blockWeightNames, causalMask, layerNorm, transformer, type Params } from './blocks';
import type { ClipConfig, VisionConfig } from './config';

export const IMAGE_INPUT = 'pixels';
export const IMAGE_OUTPUT = 'image_features';
export const TOKENS_INPUT = 'tokens';
export const EOT_INPUT = 'eot_index';
export const TEXT_OUTPUT = 'text_features';

export function visionWeightNames(cfg: ClipConfig): string[] {
  const top = [
    'conv1.weight',
    'class_embedding',
    'positional_embedding',
    'ln_pre.weight',
    'ln_pre.bias',
    'ln_post.weight',
    'ln_post.bias',
    'proj',
  ];
  return [...top.map((n) => `visual.${n}`), ...blockWeightNames('visual.transformer', cfg.vision.layers)];
}

export function textWeightNames(cfg: ClipConfig): string[] {
  const top = [
    'token_embedding.weight',
    'positional_embedding',
    'ln_final.weight',
    'ln_final.bias',
    'text_projection',
  ];
  return [...top, ...blockWeightNames('transformer', cfg.text.layers)];
}

/** pixels [batch, 3, S, S] → class and patch tokens plus their positions [batch, grid² + 1, width]. */
export function embedImage(g: Graph, vision: VisionConfig, p: Params, pixels: Tensor): Tensor {
  const { width, patchSize, grid } = vision;
  const patches = g.conv(pixels, p('visual.conv1.weight'), undefined, { stride: patchSize });
  const tokens = patches.reshape([0, width, -1]).transpose([0, 2, 1]);
  // cat([class_embedding, patches]) + positional_embedding, as a zero row padded in front plus a table whose
  // row 0 is class + position 0: the same float32 sums, and no batch-sized expand of the class token.
  const classRow = g.pad(p('visual.class_embedding').reshape([1, width]), [0, 0, grid * grid, 0]);
  return g.pad(tokens, [0, 1, 0, 0, 0, 0]).add(classRow.add(p('visual.positional_embedding')));
}

/** encode_image: pixels [batch, 3, S, S] → image_features [batch, embed]. */
export function buildVisionTower(g: Graph, cfg: ClipConfig, p: Params): Tensor {
  const { imageSize } = cfg.vision;
  const pixels = g.input(IMAGE_INPUT, ['batch', 3, imageSize, imageSize]);
  const embedded = embedImage(g, cfg.vision, p, pixels);
  const settings = { tower: cfg.vision, activation: cfg.activation, eps: cfg.layerNormEps };
  const encoded = transformer(
    g,
    layerNorm(g, embedded, p, 'visual.ln_pre', cfg.layerNormEps),
    p,
    'visual.transformer',
    settings,
  );
  const pooled = g.slice(encoded, [0], [1], [1]).squeeze([1]);
  const features = layerNorm(g, pooled, p, 'visual.ln_post', cfg.layerNormEps).matmul(p('visual.proj'));
  return g.output(IMAGE_OUTPUT, features);
}

/**
 * encode_text: tokens [batch, L] (int32) and eot_index [batch] (the argmax of each row's ids, i.e. its
 * <|endoftext|>) → text_features [batch, embed]. The EOT row is picked with a one-hot product (exact, and no
 * int64 gather on GPU EPs); ln_final is per token, so it runs on the picked rows only.
 */
export function buildTextTower(g: Graph, cfg: ClipConfig, p: Params): Tensor {
  const { contextLength } = cfg.text;
  const tokens = g.input(TOKENS_INPUT, ['batch', contextLength], { dtype: 'i32' });
  const eot = g.input(EOT_INPUT, ['batch'], { dtype: 'i32' });
  const embedded = g.gather(p('token_embedding.weight'), tokens, 0).add(p('positional_embedding'));
  const settings = {
    tower: cfg.text,
    activation: cfg.activation,
    eps: cfg.layerNormEps,
    mask: causalMask(g, contextLength),
  };
  const encoded = transformer(g, embedded, p, 'transformer', settings);
  const positions = g.constant(
    Int32Array.from({ length: contextLength }, (_, i) => i),
    [contextLength],
    'i32',
  );
  const oneHot = g.cast(g.equal(eot.unsqueeze([-1]), positions), 'f32').unsqueeze([1]);
  const pooled = oneHot.matmul(encoded).squeeze([1]);
  const features = layerNorm(g, pooled, p, 'ln_final', cfg.layerNormEps).matmul(p('text_projection'));
  return g.output(TEXT_OUTPUT, features);
}

/** Position of each prompt's EOT token: the first argmax of its ids, as `text.argmax(dim=-1)`. */
export function eotIndices(tokens: Int32Array, contextLength: number): Int32Array {
  const rows = tokens.length / contextLength;
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let i = 1; i < contextLength; i++)
      if (tokens[r * contextLength + i]! > tokens[r * contextLength + best]!) best = i;
    out[r] = best;
  }
  return out;
}

export { Graph };
