// Every CLIP size comes from tensor shapes, as OpenAI's build_model infers them. Two things shapes cannot say
// are parameters: the activation (OpenAI: QuickGELU, open_clip HPS v2 / LAION: exact GELU) and the vision head
// width of the large open_clip towers (ViT-H/14 uses 80-wide heads, not build_model's width / 64).
import type { ClipWeights } from './weights';

export type ClipActivation = 'quick_gelu' | 'gelu';

export interface TowerConfig {
  width: number;
  layers: number;
  heads: number;
}

export interface VisionConfig extends TowerConfig {
  patchSize: number;
  grid: number;
  imageSize: number;
}

export interface TextConfig extends TowerConfig {
  contextLength: number;
  vocabSize: number;
}

export interface ClipConfig {
  vision: VisionConfig;
  text: TextConfig;
  embedDim: number;
  activation: ClipActivation;
  layerNormEps: number;
}

export interface HeadOptions {
  /** 'openai': heads = width / 64 for both towers (build_model). 'open_clip': vision head width from the model configs. */
  convention: 'openai' | 'open_clip';
  visionHeads?: number;
  textHeads?: number;
}

/** open_clip's vision head_width by tower width (ViT-H-14 80, ViT-g-14 88, ViT-bigG-14 104); 64 elsewhere. */
const OPEN_CLIP_VISION_HEAD_WIDTH: Record<number, number> = { 1280: 80, 1408: 88, 1664: 104 };

function headsOf(width: number, headWidth: number, what: string): number {
  if (width % headWidth !== 0)
    throw new Error(`${what} width ${width} is not a multiple of the head width ${headWidth}`);
  return width / headWidth;
}

export function inferVisionConfig(w: ClipWeights, heads: HeadOptions): VisionConfig {
  const [width, , patchSize] = w.shape('visual.conv1.weight') as [number, number, number];
  const positions = w.shape('visual.positional_embedding')[0]!;
  const grid = Math.round(Math.sqrt(positions - 1));
  if (grid * grid + 1 !== positions)
    throw new Error(`visual.positional_embedding has ${positions} rows, not grid² + 1`);
  const headWidth = heads.convention === 'open_clip' ? (OPEN_CLIP_VISION_HEAD_WIDTH[width] ?? 64) : 64;
  return {
    width,
    layers: w.countBlocks('visual.transformer'),
    heads: heads.visionHeads ?? headsOf(width, headWidth, 'vision'),
    patchSize,
    grid,
    imageSize: patchSize * grid,
  };
}

export function inferTextConfig(w: ClipWeights, heads: HeadOptions): TextConfig {
  const width = w.shape('ln_final.weight')[0]!;
  return {
    width,
    layers: w.countBlocks('transformer'),
    heads: heads.textHeads ?? headsOf(width, 64, 'text'),
    contextLength: w.shape('positional_embedding')[0]!,
    vocabSize: w.shape('token_embedding.weight')[0]!,
  };
}

export function inferClipConfig(w: ClipWeights, activation: ClipActivation, heads: HeadOptions): ClipConfig {
  const vision = inferVisionConfig(w, heads);
  const text = inferTextConfig(w, heads);
  const embedDim = w.shape('text_projection')[1]!;
  const visionEmbed = w.shape('visual.proj')[1]!;
  if (visionEmbed !== embedDim)
    throw new Error(`image embedding ${visionEmbed} differs from text embedding ${embedDim}`);
  if (vision.layers === 0 || text.layers === 0)
    throw new Error('the checkpoint has no transformer blocks for one of the towers');
  return { vision, text, embedDim, activation, layerNormEps: 1e-5 };
}
