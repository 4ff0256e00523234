import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Library, type Comparison } from '../../main/services/library';
import { makePng, tempDir } from './helpers';
import { openTestLibrary } from './open-library';

let lib: Library;
let cleanup: () => void;
beforeEach(async () => {
  const temp = tempDir();
  cleanup = temp.cleanup;
  lib = await openTestLibrary(temp.dir);
});
afterEach(async () => {
  await lib.close();
  cleanup();
});

describe('generated images and the labeling calls on Library', () => {
  it('stores an in-app generation as one comparison and labels it through the Library methods', async () => {
    const { comparison, duplicate } = await lib.addGenerated({
      prompt: 'A Red Fox in snow',
      images: [await makePng(1), await makePng(2), await makePng(1)],
    });
    expect(duplicate).toBe(false);
    expect(comparison.images).toHaveLength(2); // the repeated bytes are one image
    expect(comparison.source).toBe('generated');
    const { annotator, token } = await lib.createAnnotator('gen', 'annotator');
    expect((await lib.annotators.authenticate(token))?.id).toBe(annotator.id);
    const assignment = (await lib.nextComparison(annotator.id))!;
    expect(assignment.comparison.id).toBe(comparison.id);
    const key = randomUUID();
    const submitted = await lib.submitJudgment({
      comparisonId: comparison.id,
      annotatorId: annotator.id,
      kind: 'tie',
      shownOrder: assignment.shownOrder,
      idempotencyKey: key,
    });
    expect(await lib.nextComparison(annotator.id)).toBeNull();
    expect(await lib.undoLastJudgment(annotator.id)).toEqual(submitted.judgment);
    expect((await lib.nextComparison(annotator.id))?.comparison.id).toBe(comparison.id);
  });
});

describe('comparison filters for the curation grid', () => {
  it('filters by prompt text, tag, label state and gold, with counts for paging', async () => {
    const made: Comparison[] = [];
    for (let i = 0; i < 5; i++) {
      made.push(
        (
          await lib.addGenerated({
            prompt: i < 3 ? `Castle ${i}` : `river ${i}`,
            images: [await makePng(i * 2), await makePng(i * 2 + 1)],
          })
        ).comparison,
      );
    }
    const annotator = (await lib.createAnnotator('a')).annotator.id;
    const judge = (n: number, kind: 'tie' | 'skip') =>
      lib.submitJudgment({
        comparisonId: made[n]!.id,
        annotatorId: annotator,
        kind,
        shownOrder: made[n]!.images.map((i) => i.id),
        idempotencyKey: `${n}`,
      });
    await judge(0, 'tie');
    await judge(1, 'skip'); // a skip is not a label
    await lib.tags.addToComparisons([made[1]!.id, made[3]!.id], 'hard');
    await lib.setExcluded(made[4]!.id, true);
    await lib.setGold(made[2]!.id, made[2]!.images[0]!.id);
    const ids = async (filter: Parameters<Library['listComparisons']>[0]) =>
      (await lib.listComparisons(filter)).map((c) => made.findIndex((m) => m.id === c.id));
    expect(await ids({ text: 'castle' })).toEqual([0, 1, 2]);
    expect(await ids({ tag: 'hard' })).toEqual([1, 3]);
    expect(await ids({ state: 'labeled' })).toEqual([0]);
    expect(await ids({ state: 'unlabeled' })).toEqual([1, 2, 3, 4]);
    expect(await ids({ state: 'excluded' })).toEqual([4]);
    expect(await ids({ gold: true })).toEqual([2]);
    expect(await ids({ text: 'CASTLE', state: 'unlabeled', tag: 'hard' })).toEqual([1]);
    expect(await ids({ limit: 2, offset: 1 })).toEqual([1, 2]);
    expect(await lib.countComparisons({ text: 'castle' })).toBe(3);
    expect(await lib.countComparisons()).toBe(5);
  });
});
