// The SD text encoder: transformers' CLIPTextModel, whose last_hidden_state is OpenAI's CLIP text
// transformer output after ln_final (every token, no pooling, no projection). The transformer blocks are the
// CLIP scorers' own (models/clip), fed through ClipWeights' transformers-name mapping. LoRA is merged into the
// weights inside the graph (W + up·down per run, from graph inputs), so the base weights stay untouched and a
// new file or strength is only a new feed.
import { Graph, type LazyParamData, type Tensor } from '../../engine/ir/graph';
import { causalMask, transformer, layerNorm, type Params } from '../clip/blocks';
import { ClipWeights } from '../clip/weights';
import type { TextEncoderConfig } from './config';
import { loraWeightDelta, type LoraProvider } from './lora-graph';
import type { ComponentWeights, WeightStorage } from './weights';

export const TEXT_INPUT = 'input_ids';
export const TEXT_OUTPUT = 'last_hidden_state';

/** transformers modules (under `text_model.encoder.layers.N.`) behind each LoRA-patched block weight. */
const LORA_MODULES: Readonly<Record<string, readonly string[]>> = {
  // The block's in_proj is q, k and v stacked by rows: their updates fill its row blocks.
  'attn.in_proj_weight': ['self_attn.q_proj', 'self_attn.k_proj', 'self_attn.v_proj'],
  'attn.out_proj.weight': ['self_attn.out_proj'],
  'mlp.c_fc.weight': ['mlp.fc1'],
  'mlp.c_proj.weight': ['mlp.fc2'],
};

/** W + ΔW for a block weight LoRA patches (W itself otherwise). */
function withLora(
  g: Graph,
  name: string,
  shape: readonly number[],
  base: Tensor,
  lora: LoraProvider,
): Tensor {
  const match = /^transformer\.resblocks\.(\d+)\.(.+)$/.exec(name);
  const parts = match && LORA_MODULES[match[2]!];
  if (!parts) return base;
  const [rows, inFeatures] = shape as [number, number];
  const deltas = parts.map((part) => {
    const module = `text_model.encoder.layers.${match[1]}.${part}`;
    const pair = lora(g, { module, inFeatures, outFeatures: rows / parts.length });
    if (!pair) throw new Error(`text encoder: the LoRA provider left ${module} unpatched`);
    return loraWeightDelta(g, pair);
  });
  return base.add(deltas.length === 1 ? deltas[0]! : g.concat(deltas, 0));
}

/**
 * input_ids [batch, L] (int32) → last_hidden_state [batch, L, width]. With `lora`, every layer's
 * q/k/v/out_proj, fc1 and fc2 take LoRA (named by transformers module paths).
 */
export function buildTextEncoder(
  weights: ComponentWeights,
  config: TextEncoderConfig,
  storage: WeightStorage,
  lora?: LoraProvider,
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
      if (lora) t = withLora(g, name, shape, t, lora);
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
