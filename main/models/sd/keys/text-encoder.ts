/**
 * Text encoder: single-file names (relative to `cond_stage_model.`) → transformers CLIPTextModel names.
 * - SD 1.x (OpenAI CLIP through transformers): `transformer.text_model.*` (older saves: `transformer.*`).
 * - SD 2.x (OpenCLIP, `model.*`): renamed block by block; each fused `attn.in_proj_*` splits into
 *   q/k/v; layers at or beyond the diffusers config's `num_hidden_layers` are dropped (SD 2 uses the
 *   penultimate layer, so its diffusers text encoder has 23 of the 24), as are text_projection and
 *   logit_scale, which CLIPTextModel does not have. As diffusers' convert_open_clip_checkpoint.
 */
import type { TensorTransform } from './transforms';

export interface LocalTarget {
  name: string;
  transform: TensorTransform;
}

const COPY: TensorTransform = { kind: 'copy' };

const OPEN_CLIP_TOP_LEVEL: Readonly<Record<string, string>> = {
  'model.positional_embedding': 'text_model.embeddings.position_embedding.weight',
  'model.token_embedding.weight': 'text_model.embeddings.token_embedding.weight',
  'model.ln_final.weight': 'text_model.final_layer_norm.weight',
  'model.ln_final.bias': 'text_model.final_layer_norm.bias',
};
const OPEN_CLIP_DROPPED: ReadonlySet<string> = new Set(['model.text_projection', 'model.logit_scale']);
const OPEN_CLIP_BLOCK_RENAMES: ReadonlyArray<readonly [string, string]> = [
  ['ln_1.', 'layer_norm1.'],
  ['ln_2.', 'layer_norm2.'],
  ['mlp.c_fc.', 'mlp.fc1.'],
  ['mlp.c_proj.', 'mlp.fc2.'],
  ['attn.out_proj.', 'self_attn.out_proj.'],
];

/**
 * The targets of one text-encoder tensor: [] when it is deliberately dropped, undefined when no rule
 * knows it. `keepLayers` is the diffusers text encoder's num_hidden_layers (undefined: keep all).
 */
export function textEncoderTargets(local: string, keepLayers?: number): LocalTarget[] | undefined {
  if (local.startsWith('transformer.text_model.'))
    return [{ name: local.slice('transformer.'.length), transform: COPY }];
  if (local.startsWith('transformer.'))
    return [{ name: `text_model.${local.slice('transformer.'.length)}`, transform: COPY }];
  const topLevel = OPEN_CLIP_TOP_LEVEL[local];
  if (topLevel) return [{ name: topLevel, transform: COPY }];
  if (OPEN_CLIP_DROPPED.has(local)) return [];
  const block = /^model\.transformer\.resblocks\.(\d+)\.(.+)$/.exec(local);
  if (!block) return undefined;
  const layer = Number(block[1]);
  if (keepLayers !== undefined && layer >= keepLayers) return [];
  const prefix = `text_model.encoder.layers.${layer}.`;
  const rest = block[2]!;
  const fused = /^attn\.in_proj_(weight|bias)$/.exec(rest);
  if (fused) {
    return (['q_proj', 'k_proj', 'v_proj'] as const).map((projection, part) => ({
      name: `${prefix}self_attn.${projection}.${fused[1]}`,
      transform: { kind: 'rows', part, parts: 3 },
    }));
  }
  const rename = OPEN_CLIP_BLOCK_RENAMES.find(([from]) => rest.startsWith(from));
  return rename ? [{ name: prefix + rename[1] + rest.slice(rename[0].length), transform: COPY }] : undefined;
}
