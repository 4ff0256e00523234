// What decides each kind's number: preprocessing, activation, head convention, and the published scale.
import type { PreprocessMode } from '../../image';
import type { ClipActivation, HeadOptions } from '../../models/clip';
import type { ScorerKind } from './types';

export interface KindSpec {
  description: string;
  preprocess: PreprocessMode;
  /** For OpenAI/open_clip layouts; an HF config.json beside the checkpoint overrides it. */
  activation: ClipActivation;
  heads: HeadOptions['convention'];
  /** Needs --head (aesthetic MLP) and has no text tower in use. */
  imageOnly: boolean;
  /** cosine (and the model's exp(logit_scale)) → the published score. */
  scale: (cosine: number, logitScale: number) => number;
}

export const KIND_SPECS: Record<ScorerKind, KindSpec> = {
  'hps-v1': {
    description: 'HPS v1 (hpc.pt, OpenAI CLIP ViT-L/14): 100 × cosine',
    preprocess: 'openai',
    activation: 'quick_gelu',
    heads: 'openai',
    imageOnly: false,
    scale: (cosine) => 100 * cosine,
  },
  'hps-v2': {
    description: 'HPS v2 / v2.1 (open_clip ViT-H/14): 100 × cosine',
    preprocess: 'hpsv2',
    activation: 'gelu',
    heads: 'open_clip',
    imageOnly: false,
    scale: (cosine) => 100 * cosine,
  },
  clip: {
    description: 'CLIP score (OpenAI ViT-L/14): max(100 × cosine, 0) as torchmetrics',
    preprocess: 'openai',
    activation: 'quick_gelu',
    heads: 'openai',
    imageOnly: false,
    scale: (cosine) => Math.max(100 * cosine, 0),
  },
  aesthetic: {
    description: 'LAION aesthetic v2 MLP on the L2-normalised ViT-L/14 image embedding (1–10)',
    preprocess: 'openai',
    activation: 'quick_gelu',
    heads: 'openai',
    imageOnly: true,
    scale: (cosine) => cosine,
  },
  pickscore: {
    description: 'PickScore (HF CLIP-H): exp(logit_scale) × cosine, softmax across the images of a prompt',
    preprocess: 'pickscore',
    activation: 'gelu',
    heads: 'open_clip',
    imageOnly: false,
    scale: (cosine, logitScale) => logitScale * cosine,
  },
};
