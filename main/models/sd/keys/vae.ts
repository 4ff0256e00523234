/**
 * VAE: LDM (`first_stage_model.*`) ↔ diffusers AutoencoderKL names, from the block structure. Two LDM
 * quirks are handled here:
 * - the decoder numbers its up blocks in reverse (`decoder.up.{k}`); the highest index present is
 *   diffusers' up_blocks.0. (diffusers' own diffusers→LDM script assumes 4 blocks and writes 3 − i, so
 *   a 2-block VAE it converted has up.3 and up.2; anchoring on the highest index reads both.)
 * - the mid-block attention stores q/k/v/proj_out as 1×1 convolutions ([C, C, 1, 1]); diffusers ≥ 0.14
 *   holds linear layers to_q/to_k/to_v/to_out.0 ([C, C]): same values, reshaped. Files written by that
 *   script already carry the linear names and shapes.
 */
import { z } from 'zod';
import { PrefixMap } from './prefix-map';

export interface VaeLayout {
  blockCount: number;
  /** Resnets per encoder block; decoder blocks have one more. */
  layersPerBlock: number;
}

const vaeConfigSchema = z.looseObject({
  block_out_channels: z.array(z.number().int().positive()).min(1),
  layers_per_block: z.number().int().positive(),
});

export function vaeLayoutFromConfig(json: unknown): VaeLayout {
  const parsed = vaeConfigSchema.safeParse(json);
  if (!parsed.success) throw new Error(`invalid VAE config: ${z.prettifyError(parsed.error)}`);
  return { blockCount: parsed.data.block_out_channels.length, layersPerBlock: parsed.data.layers_per_block };
}

/** Which mid-attention projections were stored as 1×1 convolutions and need [C, C, 1, 1] → [C, C]. */
const CONV_ATTENTION_RENAMES: ReadonlyArray<readonly [string, string]> = [
  ['q', 'to_q'],
  ['k', 'to_k'],
  ['v', 'to_v'],
  ['proj_out', 'to_out.0'],
];

/** Older diffusers folders (< 0.14) name the mid-attention layers query/key/value/proj_attn. */
const LEGACY_DIFFUSERS_ATTENTION: Readonly<Record<string, string>> = {
  query: 'to_q',
  key: 'to_k',
  value: 'to_v',
  proj_attn: 'to_out.0',
};

/** Renames a pre-0.14 diffusers VAE tensor name to the current one (other names pass through). */
export function modernDiffusersVaeName(name: string): string {
  const match = /^(.*\.mid_block\.attentions\.0\.)(query|key|value|proj_attn)(\.(?:weight|bias))$/.exec(name);
  return match ? `${match[1]}${LEGACY_DIFFUSERS_ATTENTION[match[2]!]}${match[3]}` : name;
}

/**
 * LDM → diffusers prefixes (names relative to `first_stage_model.`). `decoderTopIndex` is the highest
 * `decoder.up.{k}` index present in the file.
 */
export function vaePrefixMap(layout: VaeLayout, decoderTopIndex = layout.blockCount - 1): PrefixMap {
  const map = new PrefixMap();
  for (const same of ['quant_conv', 'post_quant_conv']) map.add(same, same);
  for (const side of ['encoder', 'decoder'] as const) {
    for (const same of ['conv_in', 'conv_out']) map.add(`${side}.${same}`, `${side}.${same}`);
    map.add(`${side}.norm_out`, `${side}.conv_norm_out`);
    for (let i = 0; i < 2; i++)
      addResnet(map, `${side}.mid.block_${i + 1}`, `${side}.mid_block.resnets.${i}`);
    const attention = `${side}.mid.attn_1`;
    const target = `${side}.mid_block.attentions.0`;
    map.add(`${attention}.norm`, `${target}.group_norm`);
    for (const [ldm, diffusers] of [
      ...CONV_ATTENTION_RENAMES,
      ...CONV_ATTENTION_RENAMES.map(([, d]) => [d, d] as const),
    ]) {
      map.add(`${attention}.${ldm}`, `${target}.${diffusers}`);
    }
  }
  const last = layout.blockCount - 1;
  for (let i = 0; i <= last; i++) {
    for (let j = 0; j < layout.layersPerBlock; j++) {
      addResnet(map, `encoder.down.${i}.block.${j}`, `encoder.down_blocks.${i}.resnets.${j}`);
    }
    if (i < last)
      map.add(`encoder.down.${i}.downsample.conv`, `encoder.down_blocks.${i}.downsamplers.0.conv`);
    const up = `decoder.up.${decoderTopIndex - i}`;
    for (let j = 0; j <= layout.layersPerBlock; j++)
      addResnet(map, `${up}.block.${j}`, `decoder.up_blocks.${i}.resnets.${j}`);
    if (i < last) map.add(`${up}.upsample.conv`, `decoder.up_blocks.${i}.upsamplers.0.conv`);
  }
  return map;
}

function addResnet(map: PrefixMap, ldm: string, diffusers: string): void {
  for (const part of ['norm1', 'conv1', 'norm2', 'conv2']) map.add(`${ldm}.${part}`, `${diffusers}.${part}`);
  map.add(`${ldm}.nin_shortcut`, `${diffusers}.conv_shortcut`);
}

/** True for LDM mid-attention weights stored as 1×1 convolutions (they need [C, C, 1, 1] → [C, C]). */
export function isConvShapedVaeAttention(ldmName: string): boolean {
  return /^(encoder|decoder)\.mid\.attn_1\.(q|k|v|proj_out)\.weight$/.test(ldmName);
}

/** Infers the layout from LDM VAE tensor names (relative to `first_stage_model.`). */
export function vaeLayoutFromLdmNames(names: readonly string[]): VaeLayout {
  const blocks = new Set<number>();
  const layers = new Set<number>();
  for (const name of names) {
    const match = /^encoder\.down\.(\d+)\.block\.(\d+)\./.exec(name);
    if (match) {
      blocks.add(Number(match[1]));
      if (match[1] === '0') layers.add(Number(match[2]));
    }
  }
  if (blocks.size === 0) throw new Error('no LDM VAE encoder blocks found');
  return { blockCount: blocks.size, layersPerBlock: layers.size };
}
