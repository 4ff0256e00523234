/**
 * UNet: LDM (`model.diffusion_model.*`, the A1111 single-file layout) ↔ diffusers UNet2DConditionModel
 * module names, generated from the block structure (number of blocks, layers per block, which blocks carry
 * attention) so other widths and depths need no new table. Transformer internals have the same names in
 * both layouts; resnet internals are renamed.
 */
import { z } from 'zod';
import { PrefixMap } from './prefix-map';

export interface UnetLayout {
  /** len(block_out_channels): down blocks = up blocks = this. */
  blockCount: number;
  layersPerBlock: number;
  /** Per down block (diffusers order): does it carry a transformer after each resnet? */
  downHasAttention: boolean[];
  /** Per up block (diffusers order, deepest first). */
  upHasAttention: boolean[];
}

const unetConfigSchema = z.looseObject({
  block_out_channels: z.array(z.number().int().positive()).min(1),
  layers_per_block: z.number().int().positive(),
  down_block_types: z.array(z.string()),
  up_block_types: z.array(z.string()),
  mid_block_type: z.string().nullish(),
});

/** Reads the layout from a diffusers unet/config.json object. */
export function unetLayoutFromConfig(json: unknown): UnetLayout {
  const parsed = unetConfigSchema.safeParse(json);
  if (!parsed.success) throw new Error(`invalid UNet config: ${z.prettifyError(parsed.error)}`);
  const c = parsed.data;
  const blockCount = c.block_out_channels.length;
  if (c.down_block_types.length !== blockCount || c.up_block_types.length !== blockCount) {
    throw new Error(
      `UNet config: ${blockCount} block widths but ${c.down_block_types.length} down / ${c.up_block_types.length} up block types`,
    );
  }
  const midBlock = c.mid_block_type ?? 'UNetMidBlock2DCrossAttn';
  if (midBlock !== 'UNetMidBlock2DCrossAttn')
    throw new Error(`UNet config: mid block ${midBlock} is not supported`);
  const hasAttention = (type: string) => type.startsWith('CrossAttn');
  return {
    blockCount,
    layersPerBlock: c.layers_per_block,
    downHasAttention: c.down_block_types.map(hasAttention),
    upHasAttention: c.up_block_types.map(hasAttention),
  };
}

const RESNET_RENAMES: ReadonlyArray<readonly [string, string]> = [
  ['in_layers.0', 'norm1'],
  ['in_layers.2', 'conv1'],
  ['out_layers.0', 'norm2'],
  ['out_layers.3', 'conv2'],
  ['emb_layers.1', 'time_emb_proj'],
  ['skip_connection', 'conv_shortcut'],
];

function addResnet(map: PrefixMap, ldm: string, diffusers: string): void {
  for (const [from, to] of RESNET_RENAMES) map.add(`${ldm}.${from}`, `${diffusers}.${to}`);
}

/** LDM → diffusers module prefixes for one UNet layout (names relative to `model.diffusion_model.`). */
export function unetPrefixMap(layout: UnetLayout): PrefixMap {
  const map = new PrefixMap()
    .add('time_embed.0', 'time_embedding.linear_1')
    .add('time_embed.2', 'time_embedding.linear_2')
    .add('input_blocks.0.0', 'conv_in')
    .add('out.0', 'conv_norm_out')
    .add('out.2', 'conv_out');
  const { blockCount, layersPerBlock } = layout;
  // LDM numbers every resnet(+attention) and every down/upsampler as one input/output block.
  const stride = layersPerBlock + 1;
  for (let i = 0; i < blockCount; i++) {
    const last = i === blockCount - 1;
    for (let j = 0; j < layersPerBlock; j++) {
      const ldm = `input_blocks.${i * stride + j + 1}`;
      addResnet(map, `${ldm}.0`, `down_blocks.${i}.resnets.${j}`);
      if (layout.downHasAttention[i]) map.add(`${ldm}.1`, `down_blocks.${i}.attentions.${j}`);
    }
    if (!last) map.add(`input_blocks.${(i + 1) * stride}.0.op`, `down_blocks.${i}.downsamplers.0.conv`);

    for (let j = 0; j < stride; j++) {
      const ldm = `output_blocks.${i * stride + j}`;
      addResnet(map, `${ldm}.0`, `up_blocks.${i}.resnets.${j}`);
      if (layout.upHasAttention[i]) map.add(`${ldm}.1`, `up_blocks.${i}.attentions.${j}`);
    }
    if (!last) {
      const upsamplerSlot = layout.upHasAttention[i] ? 2 : 1;
      map.add(
        `output_blocks.${i * stride + layersPerBlock}.${upsamplerSlot}.conv`,
        `up_blocks.${i}.upsamplers.0.conv`,
      );
    }
  }
  addResnet(map, 'middle_block.0', 'mid_block.resnets.0');
  map.add('middle_block.1', 'mid_block.attentions.0');
  addResnet(map, 'middle_block.2', 'mid_block.resnets.1');
  return map;
}

/** Distinct integers captured by `pattern`'s first group over the names. */
function indicesOf(names: readonly string[], pattern: RegExp): Set<number> {
  const found = new Set<number>();
  for (const name of names) {
    const match = pattern.exec(name);
    if (match) found.add(Number(match[1]));
  }
  return found;
}

/**
 * Infers the layout from LDM UNet tensor names (relative to `model.diffusion_model.`), for single files
 * that come without a config: every input block holds one resnet(+transformer) or one downsampler.
 */
export function unetLayoutFromLdmNames(names: readonly string[]): UnetLayout {
  const inputCount = Math.max(...indicesOf(names, /^input_blocks\.(\d+)\./)) + 1;
  const downsamplers = [...indicesOf(names, /^input_blocks\.(\d+)\.0\.op\./)].sort((a, b) => a - b);
  if (!Number.isFinite(inputCount) || inputCount < 2) throw new Error('no LDM UNet input blocks found');
  const stride = downsamplers.length > 0 ? downsamplers[0]! : inputCount;
  const layersPerBlock = stride - 1;
  const blockCount = inputCount / stride;
  if (layersPerBlock < 1 || !Number.isInteger(blockCount) || downsamplers.length !== blockCount - 1) {
    throw new Error(
      `LDM UNet: ${inputCount} input blocks with downsamplers at [${downsamplers.join(', ')}] is not a known layout`,
    );
  }
  const has = (prefix: string) => names.some((n) => n.startsWith(prefix));
  return {
    blockCount,
    layersPerBlock,
    downHasAttention: Array.from({ length: blockCount }, (_, i) => has(`input_blocks.${i * stride + 1}.1.`)),
    upHasAttention: Array.from({ length: blockCount }, (_, i) => has(`output_blocks.${i * stride}.1.`)),
  };
}
