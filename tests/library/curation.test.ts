import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Library, type Comparison } from '../../main/services/library';
import { makePng, tempDir } from './helpers';

let lib: Library;
let cleanup: () => void;
beforeEach(() => {
  const temp = tempDir();
  cleanup = temp.cleanup;
  lib = Library.open(temp.dir);
});
afterEach(() => {
  lib.close();
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
    const { annotator, token } = lib.createAnnotator('gen', 'annotator');
    expect(lib.annotators.authenticate(token)?.id).toBe(annotator.id);
    const assignment = lib.nextComparison(annotator.id)!;
    expect(assignment.comparison.id).toBe(comparison.id);
    const key = randomUUID();
    const submitted = lib.submitJudgment({
      comparisonId: comparison.id,
      annotatorId: annotator.id,
      kind: 'tie',
      shownOrder: assignment.shownOrder,
      idempotencyKey: key,
    });
    expect(lib.nextComparison(annotator.id)).toBeNull();
    expect(lib.undoLastJudgment(annotator.id)).toEqual(submitted.judgment);
    expect(lib.nextComparison(annotator.id)?.comparison.id).toBe(comparison.id);
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
    const annotator = lib.createAnnotator('a').annotator.id;
    const judge = (n: number, kind: 'tie' | 'skip') =>
      lib.submitJudgment({
        comparisonId: made[n]!.id,
        annotatorId: annotator,
        kind,
        shownOrder: made[n]!.images.map((i) => i.id),
        idempotencyKey: `${n}`,
      });
    judge(0, 'tie');
    judge(1, 'skip'); // a skip is not a label
    lib.tags.addToComparisons([made[1]!.id, made[3]!.id], 'hard');
    lib.setExcluded(made[4]!.id, true);
    lib.setGold(made[2]!.id, made[2]!.images[0]!.id);
    const ids = (filter: Parameters<Library['listComparisons']>[0]) =>
      lib.listComparisons(filter).map((c) => made.findIndex((m) => m.id === c.id));
    expect(ids({ text: 'castle' })).toEqual([0, 1, 2]);
    expect(ids({ tag: 'hard' })).toEqual([1, 3]);
    expect(ids({ state: 'labeled' })).toEqual([0]);
    expect(ids({ state: 'unlabeled' })).toEqual([1, 2, 3, 4]);
    expect(ids({ state: 'excluded' })).toEqual([4]);
    expect(ids({ gold: true })).toEqual([2]);
    expect(ids({ text: 'CASTLE', state: 'unlabeled', tag: 'hard' })).toEqual([1]);
    expect(ids({ limit: 2, offset: 1 })).toEqual([1, 2]);
    expect(lib.countComparisons({ text: 'castle' })).toBe(3);
    expect(lib.countComparisons()).toBe(5);
  });
});
