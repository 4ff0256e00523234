// Scoring a library across workers: the server cuts the unscored (image, prompt) pairs into chunks, each one queue
// job. A chunk names its images by id and content hash, so a worker finds them in its own mount of the shared
// library folder, and writes its scores straight into the shared database.
import type { Library } from '../library';
import type { ScorerKind } from '../scoring';
import { unscoredPairs } from '../scoring/jobs';
import type { ComputePrecision } from '../../engine/runtime';

/** The scorer a worker loads for a run: model files on the shared path every host sees. */
export interface ScorerSpec {
  /** The model id the scores are stored under (scores.model_id). */
  modelId: string;
  kind: ScorerKind;
  model: string;
  head?: string;
  vocab?: string;
  precision?: ComputePrecision;
}

export interface ScoreChunk {
  runId: string;
  scorer: ScorerSpec;
  promptId: number;
  prompt: string;
  images: { id: number; hash: string; ext: string }[];
  /** Try again images that failed under this model before (they are in the chunk only then). */
  retryFailed: boolean;
}

export interface ChunkResult {
  scores: { imageId: number; promptId: number; score: number; cosine: number | null }[];
  failed: { imageId: number; error: string }[];
}

/** Default images per chunk: big enough that a chunk's overhead (a queue round trip, one transaction) is small
 *  next to its inference, small enough that N workers share even a modest library evenly. */
export const DEFAULT_CHUNK_SIZE = 32;

export function chunkWork(
  work: readonly Pick<ScoreChunk, 'promptId' | 'prompt' | 'images'>[],
  base: Pick<ScoreChunk, 'scorer' | 'retryFailed'>,
  size = DEFAULT_CHUNK_SIZE,
): Omit<ScoreChunk, 'runId'>[] {
  if (!Number.isInteger(size) || size < 1)
    throw new Error(`chunk size must be a positive integer, got ${size}`);
  const chunks: Omit<ScoreChunk, 'runId'>[] = [];
  for (const { promptId, prompt, images } of work) {
    for (let start = 0; start < images.length; start += size)
      chunks.push({ ...base, promptId, prompt, images: images.slice(start, start + size) });
  }
  return chunks;
}

/** The library's unscored pairs under `scorer.modelId`, as chunks for the queue. */
export async function scoringChunks(
  library: Library,
  scorer: ScorerSpec,
  options: { retryFailed?: boolean; chunkSize?: number } = {},
): Promise<Omit<ScoreChunk, 'runId'>[]> {
  const retryFailed = options.retryFailed ?? false;
  const work = (await unscoredPairs(library, scorer.modelId, retryFailed)).map(
    ({ promptId, prompt, images }) => ({
      promptId,
      prompt,
      // Workers find the files in their own mount of the library folder, so the server's paths stay here.
      images: images.map(({ id, hash, ext }) => ({ id, hash, ext })),
    }),
  );
  return chunkWork(work, { scorer, retryFailed }, options.chunkSize);
}
