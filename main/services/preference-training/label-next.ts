// The label-next queue over a library: unlabelled comparisons ranked by a scorer's uncertainty, or by the
// disagreement of several scorers' stored scores (the live readouts').
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

async function unlabelled(library: Library, limit?: number): Promise<Comparison[]> {
  return (await library.listComparisons({ state: 'unlabeled', limit })).filter((c) => !c.excluded);
}

/** Unlabelled comparisons where the scorer is least certain (|p − 0.5| smallest for two images). */
export async function labelNextByUncertainty(
  library: Library,
  scorer: Scorer,
  options: { logitScale?: number; limit?: number; pool?: number } = {},
): Promise<QueueEntry[]> {
  const beliefs = [];
  for (const c of await unlabelled(library, options.pool))
    beliefs.push(beliefFromCosines(c.id, await cosinesOf(scorer, library, c), options.logitScale));
  return uncertaintyQueue(beliefs, options.limit);
}

export interface DisagreementResult {
  queue: QueueEntry[];
  /** Unlabelled comparisons left out because some scorer has not scored all of their images yet. */
  unscored: number;
}

/**
 * Unlabelled comparisons where scorers disagree most about the best image, from the scores the live readouts
 * stored in the library (nothing is re-run), so any scorers the user has loaded can be compared.
 */
export async function labelNextByDisagreement(
  library: Library,
  scorerIds: readonly string[],
  options: { limit?: number; pool?: number } = {},
): Promise<DisagreementResult> {
  if (new Set(scorerIds).size < 2) throw new Error('disagreement needs at least 2 different scorers');
  const stored: Map<string, number>[] = [];
  for (const modelId of scorerIds) {
    const byPair = new Map<string, number>();
    for (const s of await library.scores.list({ modelId })) byPair.set(`${s.imageId}/${s.promptId}`, s.score);
    if (byPair.size === 0)
      throw new Error(
        `no scores from ${modelId} in this library: load that scorer and let it score the library`,
      );
    stored.push(byPair);
  }
  const opinions = [];
  let unscored = 0;
  for (const c of await unlabelled(library, options.pool)) {
    const scores = stored.map((byPair) => c.images.map((image) => byPair.get(`${image.id}/${c.promptId}`)));
    if (scores.some((row) => row.includes(undefined))) unscored++;
    else opinions.push({ comparisonId: c.id, scores: scores as number[][] });
  }
  return { queue: opinions.length ? disagreementQueue(opinions, options.limit) : [], unscored };
}
