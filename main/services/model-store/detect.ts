// What a local checkpoint is, from its tensors (names, shapes, order) and safetensors metadata, never from
// its file name: CLIP state dicts (OpenAI / HPS v1, open_clip / HPS v2, transformers), the LAION aesthetic head,
// SD 1.x single files and diffusers folders, kohya / PEFT LoRA files and HPS Studio's trained scorers.
// Only headers are read, so detecting a 4 GB checkpoint is instant.
import { stat } from 'node:fs/promises';
import type { DetectedKind } from '../../contract/names';
import { loadStateDict, type StateDict, type TensorData } from '../../checkpoints';
import { ClipWeights, detectClipLayout, inferClipConfig, type HeadOptions } from '../../models/clip';
import {
  ComponentWeights,
  unetConfigFromWeights,
  vaeConfigFromWeights,
  type UnetConfig,
  type VaeConfig,
} from '../../models/sd';
import {
  mapSingleFileNames,
  SINGLE_FILE_PREFIXES,
  unetLayoutFromLdmNames,
  vaeLayoutFromLdmNames,
  type SdComponent,
} from '../../models/sd/keys';
import { loadSdModel } from '../diffusion/loader';
import { METADATA_KEY, readTrainedScorerHeader } from '../preference-training/saved-scorer';
import { resolveCheckpoint } from '../scoring/checkpoint';

export interface DetectedCheckpoint {
  /** The file (or folder) that was read. */
  path: string;
  kind: DetectedKind;
  /** One line for people, e.g. "OpenAI CLIP (HPS v1 layout), ViT-L/14". */
  label: string;
  format: 'safetensors' | 'torch' | 'folder';
  /** Numbers that identify the architecture (widths, layers, rank …), for display. */
  details: Record<string, string | number>;
}

type Detection = Omit<DetectedCheckpoint, 'path' | 'format'>;

const SUPPORTED =
  'supported: OpenAI CLIP / HPS v1 and open_clip / HPS v2 state dicts, transformers CLIP (PickScore, ' +
  'clip-vit-large-patch14), the LAION aesthetic head, SD 1.x single files and diffusers folders, kohya / PEFT ' +
  'LoRA files, and scorers trained in HPS Studio';

/** The checkpoint is readable but not an architecture the studio runs; the message says what it saw. */
export class UnsupportedCheckpointError extends Error {
  override readonly name = 'UnsupportedCheckpointError';
}

function unsupported(path: string, why: string): UnsupportedCheckpointError {
  // Checkpoint readers start their messages with the path; it is said once.
  const reason = why.startsWith(`${path}: `) ? why.slice(path.length + 2) : why;
  return new UnsupportedCheckpointError(`${path} is not a supported checkpoint: ${reason} (${SUPPORTED})`);
}

/** Detects a file or folder; throws UnsupportedCheckpointError (or a not-found Error) with a readable message. */
export async function detectCheckpoint(path: string): Promise<DetectedCheckpoint> {
  const info = await stat(path).catch(() => undefined);
  if (!info) throw new Error(`no such file or folder: ${path}`);
  return info.isDirectory() ? detectFolder(path) : detectFile(path);
}

async function detectFolder(dir: string): Promise<DetectedCheckpoint> {
  const isFile = (name: string) =>
    stat(`${dir}/${name}`).then(
      (s) => s.isFile(),
      () => false,
    );
  if ((await isFile('unet/config.json')) || (await isFile('model_index.json'))) return sdFolder(dir);
  const weights = await resolveCheckpoint(dir).catch(() => undefined);
  if (!weights)
    throw unsupported(
      dir,
      'the folder has neither a diffusers layout (unet/, vae/, text_encoder/) nor weights',
    );
  const detected = await detectFile(weights.file);
  return { ...detected, path: dir, format: 'folder' };
}

async function detectFile(file: string): Promise<DetectedCheckpoint> {
  let state: StateDict;
  try {
    state = await loadStateDict(file);
  } catch (error) {
    throw unsupported(file, (error as Error).message);
  }
  try {
    const format = state.format === 'safetensors' ? 'safetensors' : 'torch';
    const names = [...state.tensors.keys()];
    if (state.metadata[METADATA_KEY] !== undefined) return await trainedScorer(file, format);
    if (names.some((n) => n.startsWith(SINGLE_FILE_PREFIXES.unet)))
      return { path: file, format, ...sdSingleFile(file, state.tensors, names) };
    const lora = loraFile(state, names);
    if (lora) return { path: file, format, ...lora };
    const aesthetic = aestheticHead(state.tensors);
    if (aesthetic) return { path: file, format, ...aesthetic };
    return { path: file, format, ...clipModel(file, state.tensors, names) };
  } finally {
    await state.close();
  }
}

async function trainedScorer(
  file: string,
  format: DetectedCheckpoint['format'],
): Promise<DetectedCheckpoint> {
  const header = await readTrainedScorerHeader(file).catch((error: Error) => {
    throw unsupported(file, error.message);
  });
  if (!header) throw unsupported(file, 'the trained-scorer header is missing');
  return {
    path: file,
    format,
    kind: 'trained-scorer',
    label: `HPS Studio trained scorer (${header.kind}, based on ${header.base.file})`,
    details: {
      scorerKind: header.kind,
      base: header.base.file,
      trainedTensors: header.trained.length,
      createdAt: header.createdAt,
      ...(header.heldOut?.after != null ? { heldOutAccuracy: header.heldOut.after } : {}),
    },
  };
}

const SD_LABEL = (crossAttentionDim: number) =>
  `Stable Diffusion ${crossAttentionDim >= 1024 ? '2.x' : '1.x'}`;

function sdDetails(
  unet: UnetConfig,
  vae: VaeConfig,
  textWidth: number,
  textLayers: number,
): Detection['details'] {
  return {
    unetBlockOutChannels: unet.blockOutChannels.join('/'),
    crossAttentionDim: unet.crossAttentionDim,
    vaeLatentChannels: vae.latentChannels,
    textEncoderWidth: textWidth,
    textEncoderLayers: textLayers,
  };
}

/** A diffusers folder: its configs say everything (the loader checks every part is there). */
async function sdFolder(dir: string): Promise<DetectedCheckpoint> {
  const model = await loadSdModel(dir).catch((error: Error) => {
    throw unsupported(dir, error.message);
  });
  try {
    const { unet, vae, textEncoder } = model;
    return {
      path: dir,
      kind: 'sd-diffusers',
      label: `${SD_LABEL(unet.config.crossAttentionDim)} diffusers folder`,
      format: 'folder',
      details: sdDetails(unet.config, vae.config, textEncoder.config.width, textEncoder.config.layers),
    };
  } finally {
    await model.close();
  }
}

/** An LDM / A1111 single file: every tensor must map onto a diffusers name; sizes come from shapes. */
function sdSingleFile(
  file: string,
  tensors: ReadonlyMap<string, TensorData>,
  names: readonly string[],
): Detection {
  const local = (component: SdComponent) =>
    names
      .filter((n) => n.startsWith(SINGLE_FILE_PREFIXES[component]))
      .map((n) => n.slice(SINGLE_FILE_PREFIXES[component].length));
  for (const component of ['unet', 'vae', 'text_encoder'] as const) {
    if (local(component).length === 0)
      throw unsupported(
        file,
        `an SD single file needs ${SINGLE_FILE_PREFIXES[component]}* tensors and this one has none`,
      );
  }
  try {
    const mapping = mapSingleFileNames(names, {
      unet: unetLayoutFromLdmNames(local('unet')),
      vae: vaeLayoutFromLdmNames(local('vae')),
    });
    if (mapping.unmapped.length > 0)
      throw new Error(
        `${mapping.unmapped.length} tensors have no diffusers name (e.g. ${mapping.unmapped.slice(0, 3).join(', ')})`,
      );
    const tables: Record<SdComponent, Map<string, TensorData>> = {
      unet: new Map(),
      vae: new Map(),
      text_encoder: new Map(),
    };
    for (const target of mapping.targets)
      tables[target.component].set(target.name, tensors.get(target.source)!);
    const unet = unetConfigFromWeights(new ComponentWeights('unet', tables.unet, file));
    const vae = vaeConfigFromWeights(new ComponentWeights('vae', tables.vae, file));
    const textNames = [...tables.text_encoder.keys()];
    const textWidth = tables.text_encoder.get('text_model.final_layer_norm.weight')?.shape[0] ?? 0;
    const textLayers = new Set(
      textNames.map((n) => /^text_model\.encoder\.layers\.(\d+)\./.exec(n)?.[1]).filter(Boolean),
    ).size;
    return {
      kind: 'sd-single-file',
      label: `${SD_LABEL(unet.crossAttentionDim)} single file (LDM / A1111 layout)`,
      details: sdDetails(unet, vae, textWidth, textLayers),
    };
  } catch (error) {
    throw unsupported(file, `SD single-file names but ${(error as Error).message}`);
  }
}

const LORA_SUFFIX =
  /\.(lora_down|lora_up|lora_A|lora_B|lora\.down|lora\.up|lora_linear_layer\.(?:down|up))\.weight$|\.processor\.to_(?:q|k|v|out)_lora\.(?:down|up)\.weight$/;

function loraFile(state: StateDict, names: readonly string[]): Detection | undefined {
  const weights = names.filter((n) => LORA_SUFFIX.test(n));
  if (weights.length === 0) return undefined;
  const kohya = weights.every((n) => n.startsWith('lora_unet_') || n.startsWith('lora_te_'));
  const downs = weights.filter((n) => /(lora_down|lora_A|\.down)\.weight$/.test(n));
  const rank = state.tensors.get(downs[0] ?? '')?.shape[0];
  const components = new Set(
    weights.map((n) => (/^(lora_te_|text_encoder\.)/.test(n) ? 'text encoder' : 'UNet')),
  );
  const details: Record<string, string | number> = {
    modules: downs.length,
    patches: [...components].join(' + '),
  };
  if (rank !== undefined) details.rank = rank;
  const alpha = state.metadata.ss_network_alpha;
  if (alpha) details.alpha = alpha;
  return kohya
    ? { kind: 'lora-kohya', label: `LoRA (kohya format${rank ? `, rank ${rank}` : ''})`, details }
    : { kind: 'lora-peft', label: `LoRA (PEFT / diffusers format${rank ? `, rank ${rank}` : ''})`, details };
}

const AESTHETIC_LAYERS = [0, 2, 4, 6, 7];

/** LAION's improved-aesthetic-predictor MLP: Linear layers at nn.Sequential indices 0, 2, 4, 6, 7 ending in 1 output. */
function aestheticHead(tensors: ReadonlyMap<string, TensorData>): Detection | undefined {
  const expected = AESTHETIC_LAYERS.flatMap((i) => [`layers.${i}.weight`, `layers.${i}.bias`]);
  if (tensors.size !== expected.length || !expected.every((n) => tensors.has(n))) return undefined;
  const shapes = AESTHETIC_LAYERS.map((i) => tensors.get(`layers.${i}.weight`)!.shape);
  const chained = shapes.every((s, i) => s.length === 2 && (i === 0 || s[1] === shapes[i - 1]![0]));
  if (!chained || shapes.at(-1)![0] !== 1) return undefined;
  const widths = [shapes[0]![1]!, ...shapes.map((s) => s[0]!)];
  return {
    kind: 'aesthetic-mlp',
    label: `LAION aesthetic head (MLP on a ${widths[0]}-d CLIP image embedding)`,
    details: { inputWidth: widths[0]!, layers: widths.join('→') },
  };
}

/** open_clip's ViT-H/14 and larger have no OpenAI release: those widths are open_clip whatever the key order. */
const OPEN_CLIP_ONLY_VISION_WIDTHS: ReadonlySet<number> = new Set([1280, 1408, 1664]);

function clipModel(
  file: string,
  tensors: ReadonlyMap<string, TensorData>,
  names: readonly string[],
): Detection {
  let layout;
  try {
    layout = detectClipLayout(tensors);
  } catch {
    const sample = names.slice(0, 4).join(', ');
    throw unsupported(
      file,
      `its ${names.length} tensors (${sample}${names.length > 4 ? ', …' : ''}) match no known architecture`,
    );
  }
  const weights = new ClipWeights(tensors);
  const kind = layout === 'hf' ? 'hf-clip' : openClipOrder(names) ? 'open-clip' : 'openai-clip';
  const heads: HeadOptions = { convention: kind === 'openai-clip' ? 'openai' : 'open_clip' };
  let config;
  try {
    config = inferClipConfig(weights, kind === 'open-clip' ? 'gelu' : 'quick_gelu', heads);
  } catch (error) {
    throw unsupported(file, `CLIP tensor names but an incomplete model: ${(error as Error).message}`);
  }
  const { vision, text } = config;
  const resolvedKind =
    kind === 'openai-clip' && OPEN_CLIP_ONLY_VISION_WIDTHS.has(vision.width) ? 'open-clip' : kind;
  const vit = `ViT patch ${vision.patchSize} at ${vision.imageSize} px`;
  const label = {
    'openai-clip': `OpenAI CLIP (HPS v1 layout), ${vit}`,
    'open-clip': `open_clip CLIP (HPS v2 layout), ${vit}`,
    'hf-clip': `transformers CLIPModel (PickScore / clip-vit layout), ${vit}`,
  }[resolvedKind];
  return {
    kind: resolvedKind,
    label,
    details: {
      visionWidth: vision.width,
      visionLayers: vision.layers,
      patchSize: vision.patchSize,
      imageSize: vision.imageSize,
      textWidth: text.width,
      textLayers: text.layers,
      contextLength: text.contextLength,
      vocabSize: text.vocabSize,
      embedDim: config.embedDim,
    },
  };
}

/**
 * OpenAI's ResidualAttentionBlock registers attn, ln_1, mlp, ln_2; open_clip's registers ln_1, attn, ln_2, mlp.
 * state_dict() keeps registration order, and torch zips (and safetensors headers written in that order) keep it.
 * A name-sorted safetensors header says nothing, and then reads as OpenAI unless the width is open_clip-only.
 */
function openClipOrder(names: readonly string[]): boolean {
  const at = (suffix: string) => names.indexOf(`transformer.resblocks.0.${suffix}`);
  const ln1 = at('ln_1.weight');
  const attn = at('attn.in_proj_weight');
  return ln1 >= 0 && attn >= 0 && ln1 < attn;
}
