// The label-next queue over a library: unlabelled comparisons ranked by a scorer's uncertainty, or by the
// disagreement of several scorers, through the public Scorer interface (a trained scorer or any other).
import type { Comparison, Library } from '../library';
import { isScoreError, type Scorer } from '../scoring/types';
import { beliefFromCosines, disagreementQueue, uncertaintyQueue, type QueueEntry } from './active-learning';

async function cosinesOf(scorer: Scorer, library: Library, comparison: Comparison): Promise<number[]> {
  const rows = await scorer.score(
    comparison.images.map((image) => library.imagePath(image)),
    [comparison.prompt],
  );
  return rows.map((row, i) => {
    if (isScoreError(row) || row.cosine === undefined)
      throw new Error(`comparison ${comparison.id}: image ${comparison.images[i]!.id} could not be scored`);
    return row.cosine;
  });
}

function unlabelled(library: Library, limit?: number): Comparison[] {
  return library.listComparisons({ state: 'unlabeled', limit }).filter((c) => !c.excluded);
}

/** Unlabelled comparisons where the scorer is least certain (|p − 0.5| smallest for two images). */
export async function labelNextByUncertainty(
  library: Library,
  scorer: Scorer,
  options: { logitScale?: number; limit?: number; pool?: number } = {},
): Promise<QueueEntry[]> {
  const beliefs = [];
  for (const c of unlabelled(library, options.pool))
    beliefs.push(beliefFromCosines(c.id, await cosinesOf(scorer, library, c), options.logitScale));
  return uncertaintyQueue(beliefs, options.limit);
}

/** Unlabelled comparisons where the scorers disagree most about the best image. */
export async function labelNextByDisagreement(
  library: Library,
  scorers: readonly Scorer[],
  options: { limit?: number; pool?: number } = {},
): Promise<QueueEntry[]> {
  const opinions = [];
  for (const c of unlabelled(library, options.pool)) {
    const scores = [];
    for (const scorer of scorers) scores.push(await cosinesOf(scorer, library, c));
    opinions.push({ comparisonId: c.id, scores });
  }
  return disagreementQueue(opinions, options.limit);
}
