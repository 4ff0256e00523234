// The scoring service's public types: one Scorer interface over every kind.
import type { ScorerKind } from '../../contract/names';

export type { ScorerKind };

/** A file path, or bytes with the label results should carry. */
export type ImageInput = string | { label: string; bytes: Uint8Array };

export function imageLabel(input: ImageInput): string {
  return typeof input === 'string' ? input : input.label;
}

export interface ImageEncoding {
  image: string;
  /** sha256 of the file bytes (the embedding-cache key together with the model id). */
  hash?: string;
  /** Unnormalised image features (encode_image output). */
  features?: Float32Array;
  /** Why this image could not be encoded (unreadable, not an image, ...). */
  error?: string;
  cached?: boolean;
}

/** One (image, prompt) result, or one per image for prompt-free kinds (aesthetic). */
export interface ScoreEntry {
  image: string;
  prompt?: string;
  /** Cosine of the L2-normalised features (absent for aesthetic, whose score is the head's raw output). */
  cosine?: number;
  /** On the anchor's published scale: HPS 100·cosine, CLIP score max(100·cosine, 0), PickScore exp(logit_scale)·cosine, aesthetic 1–10. */
  score: number;
  /** PickScore only: softmax of the scores across the images of this prompt. */
  probability?: number;
}

export interface ScoreError {
  image: string;
  error: string;
}

export type ScoreRow = ScoreEntry | ScoreError;

export function isScoreError(row: ScoreRow): row is ScoreError {
  return 'error' in row;
}

export interface ScoreProgress {
  /** Images finished (encoded, taken from the cache, or failed). */
  done: number;
  total: number;
  cached: number;
  failed: number;
}

export interface ScoreOptions {
  /** Images per inference run (default 8). */
  batchSize?: number;
  signal?: AbortSignal;
  onProgress?: (progress: ScoreProgress) => void;
}

export interface Scorer {
  /** Identity of the model (kind, checkpoint files): the embedding-cache namespace. */
  readonly id: string;
  readonly kind: ScorerKind;
  /** The execution provider the image tower runs on (after any fallback). */
  readonly ep: string;
  encodeImages(images: readonly ImageInput[], options?: ScoreOptions): Promise<ImageEncoding[]>;
  /** Unnormalised text features, one per prompt (aesthetic has no text tower). */
  encodeTexts(prompts: readonly string[]): Promise<Float32Array[]>;
  /** Results in image order, prompts in order within an image; unreadable images give one error row each. */
  score(
    images: readonly ImageInput[],
    prompts: readonly string[],
    options?: ScoreOptions,
  ): Promise<ScoreRow[]>;
  close(): Promise<void>;
}
