// "Label next" by disagreement reads the scores the live readouts stored in the library: unlabelled
// comparisons only, the ones the scorers split on first, and comparisons some scorer has not scored yet are
// counted apart instead of guessed.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Comparison, Library } from '../../main/services/library';
import { labelNextByDisagreement } from '../../main/services/preference-training';
import { syntheticLibrary } from './synthetic';

let dir: string;
let library: Library;
let labelled: Comparison;
let open: Comparison[];

/** Stores one scorer's scores for the images of a comparison, in the comparison's image order. */
async function store(modelId: string, c: Comparison, scores: number[]) {
  for (const [i, image] of c.images.entries())
    await library.scores.set({
      modelId,
      imageId: image.id,
      promptId: c.promptId,
      score: scores[i]!,
      cosine: null,
    });
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'label-next-stored-'));
  library = await syntheticLibrary(dir, { prompts: 1, comparisonsPerPrompt: 1, unlabelled: 4 });
  labelled = (await library.listComparisons({ state: 'labeled' }))[0]!;
  open = await library.listComparisons({ state: 'unlabeled' });
  const [agree, split, close, unscored] = open as [Comparison, Comparison, Comparison, Comparison];
  await store('a', labelled, [0, 1]);
  await store('b', labelled, [1, 0]);
  await store('a', agree, [0.9, 0.1]);
  await store('b', agree, [7, 2]);
  await store('a', split, [0.8, 0.2]);
  await store('b', split, [1, 6]);
  await store('a', close, [0.51, 0.5]);
  await store('b', close, [4, 8]);
  await store('a', unscored, [0.5, 0.4]);
});

afterAll(async () => {
  await library?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('labelNextByDisagreement (stored scores)', () => {
  it('serves split comparisons first, the closest split first, and skips labelled ones', async () => {
    const [agree, split, close] = open;
    const { queue, unscored } = await labelNextByDisagreement(library, ['a', 'b']);
    expect(queue.map((e) => e.comparisonId)).toEqual([close!.id, split!.id, agree!.id]);
    expect(queue[0]!.priority).toBeGreaterThan(0.5);
    expect(queue[2]!.priority).toBeLessThan(0.01);
    expect(queue.some((e) => e.comparisonId === labelled.id)).toBe(false);
    expect(unscored).toBe(1);
  });

  it('honours the limit', async () => {
    expect((await labelNextByDisagreement(library, ['a', 'b'], { limit: 1 })).queue).toHaveLength(1);
  });

  it('needs two different scorers that have scored this library', async () => {
    await expect(labelNextByDisagreement(library, ['a', 'a'])).rejects.toThrow(
      /at least 2 different scorers/,
    );
    await expect(labelNextByDisagreement(library, ['a', 'nope'])).rejects.toThrow(
      /no scores from nope in this library/,
    );
  });
});
