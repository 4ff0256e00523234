// The SD text encoder: transformers' CLIPTextModel, whose last_hidden_state is OpenAI's CLIP text
// transformer output after ln_final (every token, no pooling, no projection). The transformer blocks are the
// CLIP scorers' own (models/clip), fed through ClipWeights' transformers-name mapping.
import { Graph, type LazyParamData, type Tensor } from '../../engine/ir/graph';
import { transformer, layerNorm, type Params } from '../clip/blocks';
import { ClipWeights } from '../clip/weights';
import type { TextEncoderConfig } from './config';
import type { ComponentWeights, WeightStorage } from './weights';

export const TEXT_INPUT = 'input_ids';
export const TEXT_OUTPUT = 'last_hidden_state';

/** −∞ above the diagonal: each token attends to itself and earlier ones. */
function causalMask(g: Graph, length: number): Tensor {
  const data = new Float32Array(length * length);
  for (let i = 0; i < length; i++) data.fill(-Infinity, i * length + i + 1, (i + 1) * length);
  return g.constant(data, [length, length]);
}

/** input_ids [batch, L] (int32) → last_hidden_state [batch, L, width]. */
export function buildTextEncoder(
  weights: ComponentWeights,
  config: TextEncoderConfig,
  storage: WeightStorage,
): Graph {
  const clip = new ClipWeights(weights.tensors);
  const g = new Graph('sd_text_encoder');
  const params = new Map<string, Tensor>();
  const p: Params = (name) => {
    let t = params.get(name);
    if (!t) {
      const shape = clip.shape(name);
      const data: LazyParamData = {
        storage,
        byteLength: shape.reduce((n, d) => n * d, 1) * (storage === 'f16' ? 2 : 4),
        key: `${weights.identity}#text_encoder/${name}:${storage}`,
        load: async () => {
          const values = await clip.read(name, storage);
          return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
        },
      };
      t = g.param(name, data, { shape });
      params.set(name, t);
    }
    return t;
  };
  const length = config.contextLength;
  const ids = g.input(TEXT_INPUT, ['batch', length], { dtype: 'i32' });
  let x = g.gather(p('token_embedding.weight'), ids, 0).add(p('positional_embedding'));
  x = transformer(g, x, p, 'transformer', {
    tower: { width: config.width, layers: config.layers, heads: config.heads },
    activation: config.activation,
    eps: config.layerNormEps,
    mask: causalMask(g, length),
  });
  g.output(TEXT_OUTPUT, layerNorm(g, x, p, 'ln_final', config.layerNormEps));
  return g;
}
