// Training examples from a library's judgments, and the held-out split by prompt.
import { mulberry32 } from '../evaluation/bootstrap';
import type { ComparisonView, JudgmentView } from '../evaluation/judgmentStats';
import type { Library } from '../library';

export interface PreferenceExample {
  comparisonId: number;
  promptId: number;
  prompt: string;
  imageIds: number[];
  /** Soft target over the images (sums to 1): the mean of the comparison's judgments. */
  targets: number[];
  /** Judgments that stated a preference (choice, tie, ranking). */
  labels: number;
}

export interface LibraryLabels {
  examples: PreferenceExample[];
  judgments: JudgmentView[];
  comparisons: Map<number, ComparisonView>;
}

/**
 * One judgment's target: a choice is one-hot on the chosen image, a tie is uniform (0.5 / 0.5 for two
 * images), a ranking is one-hot on its best image. Both-bad and skip state no preference.
 */
export function judgmentTarget(judgment: JudgmentView, imageIds: readonly number[]): number[] | undefined {
  const oneHot = (id: number) => imageIds.map((image) => (image === id ? 1 : 0));
  if (judgment.kind === 'choice' && judgment.chosenImageId !== null) return oneHot(judgment.chosenImageId);
  if (judgment.kind === 'ranking' && judgment.ranking?.length) return oneHot(judgment.ranking[0]!);
  if (judgment.kind === 'tie') return imageIds.map(() => 1 / imageIds.length);
  return undefined;
}

/** Every non-excluded comparison with at least one preference, its judgments averaged into one soft target. */
export async function libraryLabels(library: Library): Promise<LibraryLabels> {
  const listed = (await library.listComparisons()).filter((c) => !c.excluded);
  const comparisons = new Map<number, ComparisonView>(
    listed.map((c) => [
      c.id,
      { id: c.id, promptId: c.promptId, imageIds: c.images.map((i) => i.id), goldImageId: c.goldImageId },
    ]),
  );
  const judgments = (await library.judgments.list()).filter((j) => comparisons.has(j.comparisonId));
  const sums = new Map<number, { targets: number[]; labels: number }>();
  for (const judgment of judgments) {
    const imageIds = comparisons.get(judgment.comparisonId)!.imageIds;
    const target = judgmentTarget(judgment, imageIds);
    if (!target) continue;
    const sum = sums.get(judgment.comparisonId) ?? { targets: imageIds.map(() => 0), labels: 0 };
    target.forEach((t, i) => (sum.targets[i]! += t));
    sum.labels++;
    sums.set(judgment.comparisonId, sum);
  }
  const examples = listed
    .filter((c) => sums.has(c.id))
    .map((c) => {
      const { targets, labels } = sums.get(c.id)!;
      return {
        comparisonId: c.id,
        promptId: c.promptId,
        prompt: c.prompt,
        imageIds: c.images.map((i) => i.id),
        targets: targets.map((t) => t / labels),
        labels,
      };
    });
  return { examples, judgments, comparisons };
}

/** Fisher–Yates with a seeded generator. */
export function seededShuffle<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

export interface PromptSplit {
  train: PreferenceExample[];
  test: PreferenceExample[];
  testPromptIds: number[];
}

/** Holds out a seeded share of the prompts (at least one when there are two or more): no prompt is on both sides. */
export function splitByPrompt(
  examples: readonly PreferenceExample[],
  testFraction: number,
  seed: number,
): PromptSplit {
  if (!(testFraction > 0 && testFraction < 1))
    throw new Error(`the held-out fraction must lie in (0, 1), got ${testFraction}`);
  const prompts = [...new Set(examples.map((e) => e.promptId))].sort((a, b) => a - b);
  if (prompts.length < 2)
    throw new Error(
      `a held-out split by prompt needs at least 2 labelled prompts, the library has ${prompts.length}`,
    );
  const count = Math.min(prompts.length - 1, Math.max(1, Math.round(prompts.length * testFraction)));
  const held = new Set(seededShuffle(prompts, mulberry32(seed)).slice(0, count));
  return {
    train: examples.filter((e) => !held.has(e.promptId)),
    test: examples.filter((e) => held.has(e.promptId)),
    testPromptIds: [...held].sort((a, b) => a - b),
  };
}
