// Background scoring of a library: every (image, prompt) pair of its comparisons that has no score under a
// model yet, scored prompt by prompt in batches of images, each batch stored before the next starts (so the
// live readouts fill in as batches finish). The scorer's embedding cache makes a second prompt for the same
// image cost only a text encode. An image the scorer cannot read is tried once per run and recorded in the
// library; later runs skip it until asked to retry (or its image row changes).
import type { Library, Score } from '../library';
import { isScoreError, type Scorer } from './types';

export interface PromptWork {
  promptId: number;
  prompt: string;
  /** `hash` and `ext` name the file in any mount of the library folder (queue workers); `path` is this one. */
  images: { id: number; hash: string; ext: string; path: string }[];
}

/** The library's pairs without a score under `modelId`, grouped by prompt (each pair once); images that
 *  failed under it before are left out unless `retryFailed`. */
export async function unscoredPairs(
  library: Library,
  modelId: string,
  retryFailed = false,
): Promise<PromptWork[]> {
  const scored = new Set((await library.scores.list({ modelId })).map((s) => `${s.imageId}:${s.promptId}`));
  const failed = new Set(retryFailed ? [] : (await library.scores.failures(modelId)).map((f) => f.imageId));
  const byPrompt = new Map<number, PromptWork>();
  for (const comparison of await library.listComparisons()) {
    const work = byPrompt.get(comparison.promptId) ?? {
      promptId: comparison.promptId,
      prompt: comparison.prompt,
      images: [],
    };
    for (const image of comparison.images) {
      const key = `${image.id}:${comparison.promptId}`;
      if (scored.has(key) || failed.has(image.id)) continue;
      scored.add(key);
      work.images.push({ id: image.id, hash: image.hash, ext: image.ext, path: library.imagePath(image) });
    }
    if (work.images.length > 0) byPrompt.set(comparison.promptId, work);
  }
  return [...byPrompt.values()];
}

export interface LibraryScoringOptions {
  /** Images per batch (default 8). */
  batchSize?: number;
  /** Try again the images that failed under this model in earlier runs. */
  retryFailed?: boolean;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
  /** The scores of one batch, already stored. */
  onBatch?: (scores: Score[]) => void;
}

export interface LibraryScoringResult {
  scored: number;
  /** Images that could not be read in this run (each tried once; recorded in the library). */
  failed: { imageId: number; error: string }[];
}

export async function scoreLibrary(
  library: Library,
  scorer: Scorer,
  modelId: string,
  options: LibraryScoringOptions = {},
): Promise<LibraryScoringResult> {
  const work = await unscoredPairs(library, modelId, options.retryFailed);
  const total = work.reduce((sum, w) => sum + w.images.length, 0);
  const batchSize = options.batchSize ?? 8;
  const result: LibraryScoringResult = { scored: 0, failed: [] };
  const failedNow = new Set<number>();
  let done = 0;
  options.onProgress?.(0, total);
  for (const { promptId, prompt, images } of work) {
    for (let start = 0; start < images.length; start += batchSize) {
      options.signal?.throwIfAborted();
      const slice = images.slice(start, start + batchSize);
      // An image that failed under an earlier prompt of this run is not read again.
      const batch = slice.filter((image) => !failedNow.has(image.id));
      const rows = batch.length
        ? await scorer.score(
            batch.map((image) => image.path),
            [prompt],
            { batchSize, signal: options.signal },
          )
        : [];
      options.signal?.throwIfAborted();
      const idOf = new Map(batch.map((image) => [image.path, image.id]));
      const scores: Score[] = [];
      const failures: LibraryScoringResult['failed'] = [];
      for (const row of rows) {
        const imageId = idOf.get(row.image)!;
        if (isScoreError(row)) failures.push({ imageId, error: row.error });
        else scores.push({ modelId, imageId, promptId, score: row.score, cosine: row.cosine ?? null });
      }
      await storeScores(library, modelId, scores, failures);
      for (const failure of failures) failedNow.add(failure.imageId);
      result.failed.push(...failures);
      result.scored += scores.length;
      done += slice.length;
      options.onBatch?.(scores);
      options.onProgress?.(done, total);
    }
  }
  return result;
}

/** One batch's outcome in one transaction: its scores (clearing earlier failures of those images) and its
 *  unreadable images. Used here and by the queue workers. */
export function storeScores(
  library: Library,
  modelId: string,
  scores: readonly Score[],
  failures: readonly { imageId: number; error: string }[],
): Promise<void> {
  return library.transaction(async (tx) => {
    for (const score of scores) {
      await tx.scores.set(score);
      await tx.scores.clearFailure(modelId, score.imageId);
    }
    for (const failure of failures) await tx.scores.recordFailure({ modelId, ...failure });
  });
}
