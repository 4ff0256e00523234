// Background scoring of a library: every (image, prompt) pair of its comparisons that has no score under a
// model yet, scored prompt by prompt in batches of images, each batch stored before the next starts (so the
// live readouts fill in as batches finish). The scorer's embedding cache makes a second prompt for the same
// image cost only a text encode.
import type { Library, Score } from '../library';
import { isScoreError, type Scorer } from './types';

export interface PromptWork {
  promptId: number;
  prompt: string;
  images: { id: number; path: string }[];
}

/** The library's pairs without a score under `modelId`, grouped by prompt (each pair once). */
export function unscoredPairs(library: Library, modelId: string): PromptWork[] {
  const scored = new Set(library.catalog.scores({ modelId }).map((s) => `${s.imageId}:${s.promptId}`));
  const byPrompt = new Map<number, PromptWork>();
  for (const comparison of library.listComparisons()) {
    const work = byPrompt.get(comparison.promptId) ?? {
      promptId: comparison.promptId,
      prompt: comparison.prompt,
      images: [],
    };
    for (const image of comparison.images) {
      const key = `${image.id}:${comparison.promptId}`;
      if (scored.has(key)) continue;
      scored.add(key);
      work.images.push({ id: image.id, path: library.imagePath(image) });
    }
    if (work.images.length > 0) byPrompt.set(comparison.promptId, work);
  }
  return [...byPrompt.values()];
}

export interface LibraryScoringOptions {
  /** Images per batch (default 8). */
  batchSize?: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
  /** The scores of one batch, already stored. */
  onBatch?: (scores: Score[]) => void;
}

export interface LibraryScoringResult {
  scored: number;
  /** Pairs whose image could not be read (their error, by image id). */
  failed: { imageId: number; error: string }[];
}

export async function scoreLibrary(
  library: Library,
  scorer: Scorer,
  modelId: string,
  options: LibraryScoringOptions = {},
): Promise<LibraryScoringResult> {
  const work = unscoredPairs(library, modelId);
  const total = work.reduce((sum, w) => sum + w.images.length, 0);
  const batchSize = options.batchSize ?? 8;
  const result: LibraryScoringResult = { scored: 0, failed: [] };
  let done = 0;
  options.onProgress?.(0, total);
  for (const { promptId, prompt, images } of work) {
    for (let start = 0; start < images.length; start += batchSize) {
      options.signal?.throwIfAborted();
      const batch = images.slice(start, start + batchSize);
      const rows = await scorer.score(
        batch.map((image) => image.path),
        [prompt],
        { batchSize, signal: options.signal },
      );
      options.signal?.throwIfAborted();
      const idOf = new Map(batch.map((image) => [image.path, image.id]));
      const scores: Score[] = [];
      for (const row of rows) {
        const imageId = idOf.get(row.image)!;
        if (isScoreError(row)) result.failed.push({ imageId, error: row.error });
        else scores.push({ modelId, imageId, promptId, score: row.score, cosine: row.cosine ?? null });
      }
      library.transaction(() => scores.forEach((score) => library.catalog.setScore(score)));
      result.scored += scores.length;
      done += batch.length;
      options.onBatch?.(scores);
      options.onProgress?.(done, total);
    }
  }
  return result;
}
