// Targets from judgments (one judgment, and a library's judgments averaged per comparison) and the held-out
// split by prompt.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { Library } from '../../main/services/library';
import {
  judgmentTarget,
  libraryLabels,
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

describe('libraryLabels', () => {
  it('averages each comparison’s judgments into one soft target (ties 0.5/0.5; both-bad, skips and excluded items left out)', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'pref-labels-'));
    const library = await Library.open(dir);
    try {
      const image = async (value: number) =>
        (
          await library.addImage(
            await sharp({
              create: { width: 8, height: 8, channels: 3, background: { r: value, g: 0, b: 0 } },
            })
              .png()
              .toBuffer(),
          )
        ).image.id;
      const [a, b, c, d] = [await image(10), await image(20), await image(30), await image(40)];
      const first = (await library.addComparison({ prompt: 'one', imageIds: [a!, b!] })).comparison;
      const second = (await library.addComparison({ prompt: 'two', imageIds: [c!, d!] })).comparison;
      const excluded = (await library.addComparison({ prompt: 'three', imageIds: [a!, d!] })).comparison;
      await library.setExcluded(excluded.id, true);
      const people: number[] = [];
      for (const name of ['p1', 'p2', 'p3', 'p4'])
        people.push((await library.createAnnotator(name)).annotator.id);
      const judge = (
        comparison: typeof first,
        annotator: number,
        kind: 'choice' | 'tie' | 'both-bad' | 'skip',
        chosen?: number,
      ) =>
        library.submitJudgment({
          comparisonId: comparison.id,
          annotatorId: annotator,
          kind,
          chosenImageId: chosen ?? null,
          shownOrder: comparison.images.map((i) => i.id),
          idempotencyKey: `${comparison.id}-${annotator}`,
        });
      await judge(first, people[0]!, 'choice', a);
      await judge(first, people[1]!, 'tie');
      await judge(first, people[2]!, 'both-bad');
      await judge(first, people[3]!, 'skip');
      await judge(second, people[0]!, 'both-bad');
      await judge(excluded, people[0]!, 'choice', a);
      const { examples } = await libraryLabels(library);
      expect(examples).toHaveLength(1);
      expect(examples[0]!.comparisonId).toBe(first.id);
      expect(examples[0]!.labels).toBe(2);
      expect(examples[0]!.targets).toEqual([0.75, 0.25]);
    } finally {
      await library.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
