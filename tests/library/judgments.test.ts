import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Library, type Annotator, type Comparison } from '../../main/services/library';
import { makePng, seeded, tempDir } from './helpers';

let lib: Library;
let cleanup: () => void;
let comparisons: Comparison[];

beforeEach(async () => {
  const temp = tempDir();
  cleanup = temp.cleanup;
  lib = Library.open(temp.dir);
  comparisons = [];
  for (let c = 0; c < 4; c++) {
    const a = await lib.addImage(await makePng(c * 2));
    const b = await lib.addImage(await makePng(c * 2 + 1));
    comparisons.push(
      lib.addComparison({ prompt: `prompt ${c}`, imageIds: [a.image.id, b.image.id] }).comparison,
    );
  }
});
afterEach(() => {
  lib.close();
  cleanup();
});

const ids = (comparison: Comparison): number[] => comparison.images.map((image) => image.id);

function choose(annotatorId: number, comparison: Comparison, pick = 0, key: string = randomUUID()) {
  return lib.judgments.submit({
    comparisonId: comparison.id,
    annotatorId,
    kind: 'choice',
    chosenImageId: ids(comparison)[pick]!,
    shownOrder: ids(comparison),
    decisionMs: 800,
    idempotencyKey: key,
  });
}

describe('annotators', () => {
  it('returns the plaintext token once, stores only its sha256, and authenticates with it', () => {
    const { annotator, token } = lib.annotators.create('ada', 'admin');
    expect(annotator).toMatchObject({ name: 'ada', role: 'admin', canLogin: true });
    const stored = lib.db.prepare('SELECT token_hash FROM annotators WHERE id = ?').get(annotator.id) as {
      token_hash: string;
    };
    expect(stored.token_hash).not.toContain(token);
    expect(stored.token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(lib.annotators.authenticate(token)?.id).toBe(annotator.id);
    expect(lib.annotators.authenticate(token + 'x')).toBeNull();
    expect(lib.annotators.authenticate('')).toBeNull();
    expect(() => lib.annotators.create('ada')).toThrow(/already exists/);
    expect(() => lib.annotators.create('bob', 'owner' as 'admin')).toThrow(/role/);
    const rotated = lib.annotators.rotateToken(annotator.id);
    expect(lib.annotators.authenticate(token)).toBeNull();
    expect(lib.annotators.authenticate(rotated)?.name).toBe('ada');
  });
});

describe('judgments', () => {
  it('stores each kind with the shown order and decision time, and validates its shape', () => {
    const { annotator } = lib.annotators.create('ann');
    const [c0, c1, c2, c3] = comparisons as [Comparison, Comparison, Comparison, Comparison];
    const shown = [ids(c0)[1]!, ids(c0)[0]!];
    const { judgment } = lib.judgments.submit({
      comparisonId: c0.id,
      annotatorId: annotator.id,
      kind: 'choice',
      chosenImageId: shown[0],
      shownOrder: shown,
      decisionMs: 1234,
      idempotencyKey: 'k0',
    });
    expect(judgment).toMatchObject({
      kind: 'choice',
      chosenImageId: shown[0],
      shownOrder: shown,
      decisionMs: 1234,
      ranking: null,
    });
    lib.judgments.submit({
      comparisonId: c1.id,
      annotatorId: annotator.id,
      kind: 'tie',
      shownOrder: ids(c1),
      idempotencyKey: 'k1',
    });
    lib.judgments.submit({
      comparisonId: c2.id,
      annotatorId: annotator.id,
      kind: 'both-bad',
      shownOrder: ids(c2),
      idempotencyKey: 'k2',
    });
    lib.judgments.submit({
      comparisonId: c3.id,
      annotatorId: annotator.id,
      kind: 'ranking',
      ranking: ids(c3).reverse(),
      shownOrder: ids(c3),
      idempotencyKey: 'k3',
    });
    expect(lib.judgments.list({ annotatorId: annotator.id }).map((j) => j.kind)).toEqual([
      'choice',
      'tie',
      'both-bad',
      'ranking',
    ]);
    expect(lib.judgments.byKey('k3')?.ranking).toEqual(ids(c3).reverse());

    const other = lib.annotators.create('other').annotator;
    const base = { comparisonId: c0.id, annotatorId: other.id, shownOrder: ids(c0), idempotencyKey: 'bad' };
    expect(() => lib.judgments.submit({ ...base, kind: 'choice', chosenImageId: 99999 })).toThrow(
      /not in comparison/,
    );
    expect(() => lib.judgments.submit({ ...base, kind: 'choice' })).toThrow(/not in comparison/);
    expect(() => lib.judgments.submit({ ...base, kind: 'tie', chosenImageId: ids(c0)[0] })).toThrow(
      /no chosen image/,
    );
    expect(() => lib.judgments.submit({ ...base, kind: 'tie', shownOrder: [ids(c0)[0]!] })).toThrow(
      /shown order/,
    );
    expect(() =>
      lib.judgments.submit({ ...base, kind: 'ranking', ranking: [ids(c0)[0]!, ids(c0)[0]!] }),
    ).toThrow(/ranking/);
    expect(() => lib.judgments.submit({ ...base, kind: 'tie', decisionMs: -1 })).toThrow(/decision time/);
    expect(() => lib.judgments.submit({ ...base, kind: 'tie', annotatorId: 424242 })).toThrow(/no annotator/);
    expect(() => lib.judgments.submit({ ...base, kind: 'tie', comparisonId: 424242 })).toThrow(
      /no comparison/,
    );
    expect(() => lib.judgments.submit({ ...base, annotatorId: annotator.id, kind: 'tie' })).toThrow(
      /already judged/,
    );
    expect(lib.judgments.list({ annotatorId: other.id })).toEqual([]);
  });

  it('stores a retried submit with the same idempotency key exactly once', () => {
    const { annotator } = lib.annotators.create('ann');
    const first = choose(annotator.id, comparisons[0]!, 0, 'same-key');
    const retry = choose(annotator.id, comparisons[0]!, 0, 'same-key');
    expect(first.duplicate).toBe(false);
    expect(retry.duplicate).toBe(true);
    expect(retry.judgment.id).toBe(first.judgment.id);
    expect(lib.stats().judgments).toBe(1);
    const stranger = lib.annotators.create('stranger').annotator;
    expect(() => choose(stranger.id, comparisons[0]!, 0, 'same-key')).toThrow(/different judgment/);
  });

  it('undo removes the annotator’s latest judgment only, returns it, and the item can be judged again', () => {
    const ann = lib.annotators.create('ann').annotator;
    const bob = lib.annotators.create('bob').annotator;
    choose(ann.id, comparisons[0]!);
    const second = choose(ann.id, comparisons[1]!).judgment;
    choose(bob.id, comparisons[2]!);
    const undone = lib.judgments.undoLast(ann.id);
    expect(undone).toEqual(second);
    expect(lib.judgments.list({ annotatorId: ann.id }).map((j) => j.comparisonId)).toEqual([
      comparisons[0]!.id,
    ]);
    expect(lib.judgments.list({ annotatorId: bob.id })).toHaveLength(1);
    expect(lib.judgments.undoLast(ann.id)?.comparisonId).toBe(comparisons[0]!.id);
    expect(lib.judgments.undoLast(ann.id)).toBeNull();
    expect(choose(ann.id, comparisons[1]!).duplicate).toBe(false);
  });
});

describe('blind assignment', () => {
  it('never serves an item twice to one annotator and stops at overlap k (skips do not count)', () => {
    const anns = ['a', 'b', 'c'].map((name) => lib.annotators.create(name).annotator);
    const random = seeded(7);
    const served = new Map<number, number[]>();
    for (const annotator of anns.slice(0, 2)) {
      for (;;) {
        const next = lib.judgments.next(annotator.id, { overlap: 2, random });
        if (!next) break;
        expect(served.get(annotator.id) ?? []).not.toContain(next.comparison.id);
        served.set(annotator.id, [...(served.get(annotator.id) ?? []), next.comparison.id]);
        choose(annotator.id, next.comparison);
      }
    }
    expect(served.get(anns[0]!.id)).toHaveLength(4);
    expect(served.get(anns[1]!.id)).toHaveLength(4);
    // Both of a and b judged everything: overlap 2 is reached, c gets nothing.
    expect(lib.judgments.next(anns[2]!.id, { overlap: 2 })).toBeNull();
    expect(lib.judgments.progress(anns[2]!.id, 2)).toEqual({ judged: 0, remaining: 0 });
    // Turn one of b's judgments into a skip: that comparison needs one more real judgment.
    const undone = lib.judgments.undoLast(anns[1]!.id)!;
    const comparison = lib.requireComparison(undone.comparisonId);
    lib.judgments.submit({
      comparisonId: comparison.id,
      annotatorId: anns[1]!.id,
      kind: 'skip',
      shownOrder: ids(comparison),
      idempotencyKey: 'skip',
    });
    expect(lib.judgments.next(anns[1]!.id, { overlap: 2 })).toBeNull();
    expect(lib.judgments.next(anns[2]!.id, { overlap: 2 })?.comparison.id).toBe(comparison.id);
  });

  it('randomises the shown order per item and returns no labels', () => {
    const { annotator } = lib.annotators.create('ann');
    const random = seeded(3);
    let swapped = 0;
    for (let i = 0; i < 40; i++) {
      const next = lib.judgments.next(annotator.id, { random })!;
      expect([...next.shownOrder].sort()).toEqual(ids(next.comparison).sort());
      if (next.shownOrder[0] !== ids(next.comparison)[0]) swapped++;
      expect(Object.keys(next)).toEqual(['comparison', 'shownOrder']);
    }
    expect(swapped).toBeGreaterThan(5);
    expect(swapped).toBeLessThan(35);
  });

  it('mixes gold items in at the requested rate and never past what is left', () => {
    lib.setGold(comparisons[0]!.id, ids(comparisons[0]!)[0]!);
    const { annotator } = lib.annotators.create('ann');
    const always = lib.judgments.next(annotator.id, { goldRate: 1, random: seeded(1) })!;
    expect(always.comparison.id).toBe(comparisons[0]!.id);
    const never = lib.judgments.next(annotator.id, { goldRate: 0, random: seeded(1) })!;
    expect(never.comparison.goldImageId).toBeNull();
    choose(annotator.id, comparisons[0]!);
    expect(lib.judgments.next(annotator.id, { goldRate: 1 })!.comparison.goldImageId).toBeNull();
    // Gold is served beyond the overlap: every annotator is checked on it.
    const second = lib.annotators.create('second').annotator;
    expect(lib.judgments.next(second.id, { goldRate: 1, overlap: 1 })!.comparison.id).toBe(
      comparisons[0]!.id,
    );
  });

  it('isOpenTo applies the same rule to one comparison', () => {
    const [me, other] = ['me', 'other'].map((name) => lib.annotators.create(name).annotator) as [
      Annotator,
      Annotator,
    ];
    const [excluded, judgedByMe, full, gold] = comparisons as [
      Comparison,
      Comparison,
      Comparison,
      Comparison,
    ];
    const open = (comparison: Comparison, overlap = 1) =>
      lib.judgments.isOpenTo(comparison.id, me.id, overlap);
    expect(comparisons.map((comparison) => open(comparison))).toEqual([true, true, true, true]);

    lib.setExcluded(excluded.id, true);
    expect(open(excluded)).toBe(false);

    choose(me.id, judgedByMe);
    expect(open(judgedByMe, 2)).toBe(false);

    // A skip does not count towards the overlap; a real judgment does.
    lib.judgments.submit({
      comparisonId: full.id,
      annotatorId: other.id,
      kind: 'skip',
      shownOrder: ids(full),
      idempotencyKey: 'skip',
    });
    expect(open(full)).toBe(true);
    lib.judgments.undoLast(other.id);
    choose(other.id, full);
    expect(open(full)).toBe(false);
    expect(open(full, 2)).toBe(true);

    // Gold is open past the overlap, but still not twice to one annotator.
    lib.setGold(gold.id, ids(gold)[0]!);
    choose(other.id, gold);
    expect(open(gold)).toBe(true);
    choose(me.id, gold);
    expect(open(gold)).toBe(false);

    expect(lib.judgments.isOpenTo(424242, me.id, 1)).toBe(false);
    expect(() => open(full, 0)).toThrow(/overlap/);
  });

  it('skips excluded comparisons', () => {
    const { annotator } = lib.annotators.create('ann');
    comparisons.slice(1).forEach((comparison) => lib.setExcluded(comparison.id, true));
    expect(lib.judgments.next(annotator.id)!.comparison.id).toBe(comparisons[0]!.id);
    choose(annotator.id, comparisons[0]!);
    expect(lib.judgments.next(annotator.id)).toBeNull();
  });
});

describe('scores and tags', () => {
  it('upserts scores and tags images and comparisons', () => {
    const image = comparisons[0]!.images[0]!;
    const promptId = comparisons[0]!.promptId;
    lib.scores.set({ modelId: 'hps-v2.1', imageId: image.id, promptId, score: 27.5, cosine: 0.275 });
    lib.scores.set({ modelId: 'hps-v2.1', imageId: image.id, promptId, score: 28, cosine: 0.28 });
    expect(lib.scores.list()).toEqual([
      { modelId: 'hps-v2.1', imageId: image.id, promptId, score: 28, cosine: 0.28 },
    ]);
    expect(() =>
      lib.scores.set({ modelId: 'x', imageId: image.id, promptId, score: NaN, cosine: null }),
    ).toThrow(/finite/);
    lib.tags.addToImages([image.id], 'keep');
    lib.tags.addToComparisons([comparisons[1]!.id], 'hard');
    expect(lib.tags.ofImage(image.id)).toEqual(['keep']);
    expect(lib.tags.ofComparison(comparisons[1]!.id)).toEqual(['hard']);
    lib.tags.removeFromImages([image.id], 'keep');
    expect(lib.tags.ofImage(image.id)).toEqual([]);
  });

  it('deleting a comparison removes its judgments but keeps images', () => {
    const { annotator } = lib.annotators.create('ann');
    choose(annotator.id, comparisons[0]!);
    lib.deleteComparison(comparisons[0]!.id);
    expect(lib.stats()).toMatchObject({ comparisons: 3, judgments: 0, images: 8 });
  });
});
