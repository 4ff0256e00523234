// Targets from judgments and the held-out split by prompt.
import { describe, expect, it } from 'vitest';
import {
  judgmentTarget,
  splitByPrompt,
  type PreferenceExample,
} from '../../main/services/preference-training';

const judgment = (
  kind: 'choice' | 'tie' | 'both-bad' | 'skip' | 'ranking',
  extra: { chosenImageId?: number; ranking?: number[] } = {},
) => ({
  comparisonId: 1,
  annotatorId: 1,
  kind,
  chosenImageId: extra.chosenImageId ?? null,
  ranking: extra.ranking ?? null,
  shownOrder: [10, 20],
  decisionMs: null,
});

describe('judgmentTarget', () => {
  it('one-hot for a choice, 0.5/0.5 for a tie, the best of a ranking, nothing for both-bad or skip', () => {
    expect(judgmentTarget(judgment('choice', { chosenImageId: 20 }), [10, 20])).toEqual([0, 1]);
    expect(judgmentTarget(judgment('tie'), [10, 20])).toEqual([0.5, 0.5]);
    expect(judgmentTarget(judgment('ranking', { ranking: [30, 10, 20] }), [10, 20, 30])).toEqual([0, 0, 1]);
    expect(judgmentTarget(judgment('both-bad'), [10, 20])).toBeUndefined();
    expect(judgmentTarget(judgment('skip'), [10, 20])).toBeUndefined();
  });
});

describe('splitByPrompt', () => {
  const examples: PreferenceExample[] = Array.from({ length: 30 }, (_, i) => ({
    comparisonId: i,
    promptId: i % 10,
    prompt: `p${i % 10}`,
    imageIds: [2 * i, 2 * i + 1],
    targets: [1, 0],
    labels: 1,
  }));

  it('never puts a prompt on both sides, holds out the asked share, and is seeded', () => {
    const split = splitByPrompt(examples, 0.3, 5);
    expect(split.testPromptIds).toHaveLength(3);
    const trainPrompts = new Set(split.train.map((e) => e.promptId));
    for (const e of split.test) expect(trainPrompts.has(e.promptId)).toBe(false);
    expect(split.train.length + split.test.length).toBe(30);
    expect(splitByPrompt(examples, 0.3, 5).testPromptIds).toEqual(split.testPromptIds);
    const others = [6, 7, 8, 9].map((seed) => splitByPrompt(examples, 0.3, seed).testPromptIds.join());
    expect(others.some((ids) => ids !== split.testPromptIds.join())).toBe(true);
  });

  it('refuses a library with a single prompt', () => {
    expect(() =>
      splitByPrompt(
        examples.filter((e) => e.promptId === 0),
        0.2,
        0,
      ),
    ).toThrow(/at least 2 labelled prompts/);
  });
});
