// "Label next": which comparisons a human should judge to teach the preference model the most — those the
// current model is least certain about, or those on which several scorers disagree most.

export interface ModelBelief {
  comparisonId: number;
  /** The model's probability for each image of the comparison (softmax of exp(logit_scale)·cosine). */
  probabilities: readonly number[];
}

export interface QueueEntry {
  comparisonId: number;
  /** Higher means more worth labelling. */
  priority: number;
}

/**
 * Least certain first: the margin between the two most probable images (for two images 2·|p − 0.5|), so a
 * comparison at p = 0.5 comes first. Ties keep the input order.
 */
export function uncertaintyQueue(beliefs: readonly ModelBelief[], limit = Infinity): QueueEntry[] {
  return rank(
    beliefs.map((b) => {
      const [first = 0, second = 0] = [...b.probabilities].sort((x, y) => y - x);
      return { comparisonId: b.comparisonId, priority: 1 - (first - second) };
    }),
    limit,
  );
}

export interface ScorerOpinions {
  comparisonId: number;
  /** scores[scorer][image]: each scorer's score for each image of the comparison (any scale). */
  scores: readonly (readonly number[])[];
}

/**
 * Most disputed first: one minus the share of scorers voting for the most popular best image (0 when all
 * agree); among equals, the comparison whose top two images are closest (each scorer's gap measured in its
 * own spread over all the comparisons given, so scales need not match) comes first.
 */
export function disagreementQueue(opinions: readonly ScorerOpinions[], limit = Infinity): QueueEntry[] {
  const scorers = opinions[0]?.scores.length ?? 0;
  if (scorers < 2) throw new Error('disagreement needs scores from at least 2 scorers');
  for (const o of opinions)
    if (o.scores.length !== scorers)
      throw new Error(`comparison ${o.comparisonId}: ${o.scores.length} scorers, expected ${scorers}`);
  const spread = Array.from(
    { length: scorers },
    (_, s) => standardDeviation(opinions.flatMap((o) => o.scores[s]!)) || 1,
  );
  return rank(
    opinions.map((o) => {
      const votes = new Map<number, number>();
      let gap = 0;
      o.scores.forEach((scores, s) => {
        const best = argmax(scores);
        votes.set(best, (votes.get(best) ?? 0) + 1);
        gap += topTwoGap(scores) / spread[s]!;
      });
      const agreement = Math.max(...votes.values()) / scorers;
      return { comparisonId: o.comparisonId, priority: 1 - agreement + 1e-3 / (1 + gap / scorers) };
    }),
    limit,
  );
}

function argmax(values: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}

function topTwoGap(values: readonly number[]): number {
  const [first = 0, second = 0] = [...values].sort((a, b) => b - a);
  return first - second;
}

function standardDeviation(values: readonly number[]): number {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / values.length);
}

function rank(entries: QueueEntry[], limit: number): QueueEntry[] {
  return entries
    .map((e, i) => ({ e, i }))
    .sort((a, b) => b.e.priority - a.e.priority || a.i - b.i)
    .slice(0, limit)
    .map(({ e }) => e);
}

/** Probabilities a scorer gives the images of one prompt: softmax of logitScale·cosine (HPS convention 100). */
export function beliefFromCosines(
  comparisonId: number,
  cosines: readonly number[],
  logitScale = 100,
): ModelBelief {
  const logits = cosines.map((c) => logitScale * c);
  const max = Math.max(...logits);
  const exps = logits.map((l) => Math.exp(l - max));
  const total = exps.reduce((a, b) => a + b, 0);
  return { comparisonId, probabilities: exps.map((e) => e / total) };
}
