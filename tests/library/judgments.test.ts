import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Library, type Annotator, type Comparison } from '../../main/services/library';
import { makePng, seeded, tempDir } from './helpers';
import { openTestLibrary } from './open-library';

let lib: Library;
let cleanup: () => void;
let comparisons: Comparison[];

beforeEach(async () => {
  const temp = tempDir();
  cleanup = temp.cleanup;
  lib = await openTestLibrary(temp.dir);
  comparisons = [];
  for (let c = 0; c < 4; c++) {
    const a = await lib.addImage(await makePng(c * 2));
    const b = await lib.addImage(await makePng(c * 2 + 1));
    comparisons.push(
      (await lib.addComparison({ prompt: `prompt ${c}`, imageIds: [a.image.id, b.image.id] })).comparison,
    );
  }
});
afterEach(async () => {
  await lib.close();
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
  it('returns the plaintext token once, stores only its sha256, and authenticates with it', async () => {
    const { annotator, token } = await lib.annotators.create('ada', 'admin');
    expect(annotator).toMatchObject({ name: 'ada', role: 'admin', canLogin: true });
    const stored = (await lib.db.get<{ token_hash: string }>(
      'SELECT token_hash FROM annotators WHERE id = ?',
      [annotator.id],
    ))!;
    expect(stored.token_hash).not.toContain(token);
    expect(stored.token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect((await lib.annotators.authenticate(token))?.id).toBe(annotator.id);
    expect(await lib.annotators.authenticate(token + 'x')).toBeNull();
    expect(await lib.annotators.authenticate('')).toBeNull();
    await expect(lib.annotators.create('ada')).rejects.toThrow(/already exists/);
    await expect(lib.annotators.create('bob', 'owner' as 'admin')).rejects.toThrow(/role/);
    const rotated = await lib.annotators.rotateToken(annotator.id);
    expect(await lib.annotators.authenticate(token)).toBeNull();
    expect((await lib.annotators.authenticate(rotated))?.name).toBe('ada');
  });
});

describe('judgments', () => {
  it('stores each kind with the shown order and decision time, and validates its shape', async () => {
    const { annotator } = await lib.annotators.create('ann');
    const [c0, c1, c2, c3] = comparisons as [Comparison, Comparison, Comparison, Comparison];
    const shown = [ids(c0)[1]!, ids(c0)[0]!];
    const { judgment } = await lib.judgments.submit({
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
    await lib.judgments.submit({
      comparisonId: c1.id,
      annotatorId: annotator.id,
      kind: 'tie',
      shownOrder: ids(c1),
      idempotencyKey: 'k1',
    });
    await lib.judgments.submit({
      comparisonId: c2.id,
      annotatorId: annotator.id,
      kind: 'both-bad',
      shownOrder: ids(c2),
      idempotencyKey: 'k2',
    });
    await lib.judgments.submit({
      comparisonId: c3.id,
      annotatorId: annotator.id,
      kind: 'ranking',
      ranking: ids(c3).reverse(),
      shownOrder: ids(c3),
      idempotencyKey: 'k3',
    });
    expect((await lib.judgments.list({ annotatorId: annotator.id })).map((j) => j.kind)).toEqual([
      'choice',
      'tie',
      'both-bad',
      'ranking',
    ]);
    expect((await lib.judgments.byKey('k3'))?.ranking).toEqual(ids(c3).reverse());

    const other = (await lib.annotators.create('other')).annotator;
    const base = { comparisonId: c0.id, annotatorId: other.id, shownOrder: ids(c0), idempotencyKey: 'bad' };
    await expect(lib.judgments.submit({ ...base, kind: 'choice', chosenImageId: 99999 })).rejects.toThrow(
      /not in comparison/,
    );
    await expect(lib.judgments.submit({ ...base, kind: 'choice' })).rejects.toThrow(/not in comparison/);
    await expect(lib.judgments.submit({ ...base, kind: 'tie', chosenImageId: ids(c0)[0] })).rejects.toThrow(
      /no chosen image/,
    );
    await expect(lib.judgments.submit({ ...base, kind: 'tie', shownOrder: [ids(c0)[0]!] })).rejects.toThrow(
      /shown order/,
    );
    await expect(
      lib.judgments.submit({ ...base, kind: 'ranking', ranking: [ids(c0)[0]!, ids(c0)[0]!] }),
    ).rejects.toThrow(/ranking/);
    await expect(lib.judgments.submit({ ...base, kind: 'tie', decisionMs: -1 })).rejects.toThrow(
      /decision time/,
    );
    await expect(lib.judgments.submit({ ...base, kind: 'tie', annotatorId: 424242 })).rejects.toThrow(
      /no annotator/,
    );
    await expect(lib.judgments.submit({ ...base, kind: 'tie', comparisonId: 424242 })).rejects.toThrow(
      /no comparison/,
    );
    await expect(lib.judgments.submit({ ...base, annotatorId: annotator.id, kind: 'tie' })).rejects.toThrow(
      /already judged/,
    );
    expect(await lib.judgments.list({ annotatorId: other.id })).toEqual([]);
  });

  it('stores a retried submit with the same idempotency key exactly once', async () => {
    const { annotator } = await lib.annotators.create('ann');
    const first = await choose(annotator.id, comparisons[0]!, 0, 'same-key');
    const retry = await choose(annotator.id, comparisons[0]!, 0, 'same-key');
    expect(first.duplicate).toBe(false);
    expect(retry.duplicate).toBe(true);
    expect(retry.judgment.id).toBe(first.judgment.id);
    expect((await lib.stats()).judgments).toBe(1);
    const stranger = (await lib.annotators.create('stranger')).annotator;
    await expect(choose(stranger.id, comparisons[0]!, 0, 'same-key')).rejects.toThrow(/different judgment/);
  });

  it('undo removes the annotator’s latest judgment only, returns it, and the item can be judged again', async () => {
    const ann = (await lib.annotators.create('ann')).annotator;
    const bob = (await lib.annotators.create('bob')).annotator;
    await choose(ann.id, comparisons[0]!);
    const second = (await choose(ann.id, comparisons[1]!)).judgment;
    await choose(bob.id, comparisons[2]!);
    const undone = await lib.judgments.undoLast(ann.id);
    expect(undone).toEqual(second);
    expect((await lib.judgments.list({ annotatorId: ann.id })).map((j) => j.comparisonId)).toEqual([
      comparisons[0]!.id,
    ]);
    expect(await lib.judgments.list({ annotatorId: bob.id })).toHaveLength(1);
    expect((await lib.judgments.undoLast(ann.id))?.comparisonId).toBe(comparisons[0]!.id);
    expect(await lib.judgments.undoLast(ann.id)).toBeNull();
    expect((await choose(ann.id, comparisons[1]!)).duplicate).toBe(false);
  });
});

describe('blind assignment', () => {
  it('never serves an item twice to one annotator and stops at overlap k (skips do not count)', async () => {
    const anns: Annotator[] = [];
    for (const name of ['a', 'b', 'c']) anns.push((await lib.annotators.create(name)).annotator);
    const random = seeded(7);
    const served = new Map<number, number[]>();
    for (const annotator of anns.slice(0, 2)) {
      for (;;) {
        const next = await lib.judgments.next(annotator.id, { overlap: 2, random });
        if (!next) break;
        expect(served.get(annotator.id) ?? []).not.toContain(next.comparison.id);
        served.set(annotator.id, [...(served.get(annotator.id) ?? []), next.comparison.id]);
        await choose(annotator.id, next.comparison);
      }
    }
    expect(served.get(anns[0]!.id)).toHaveLength(4);
    expect(served.get(anns[1]!.id)).toHaveLength(4);
    // Both of a and b judged everything: overlap 2 is reached, c gets nothing.
    expect(await lib.judgments.next(anns[2]!.id, { overlap: 2 })).toBeNull();
    expect(await lib.judgments.progress(anns[2]!.id, 2)).toEqual({ judged: 0, remaining: 0 });
    // Turn one of b's judgments into a skip: that comparison needs one more real judgment.
    const undone = (await lib.judgments.undoLast(anns[1]!.id))!;
    const comparison = await lib.requireComparison(undone.comparisonId);
    await lib.judgments.submit({
      comparisonId: comparison.id,
      annotatorId: anns[1]!.id,
      kind: 'skip',
      shownOrder: ids(comparison),
      idempotencyKey: 'skip',
    });
    expect(await lib.judgments.next(anns[1]!.id, { overlap: 2 })).toBeNull();
    expect((await lib.judgments.next(anns[2]!.id, { overlap: 2 }))?.comparison.id).toBe(comparison.id);
  });

  it('randomises the shown order per item and returns no labels', async () => {
    const { annotator } = await lib.annotators.create('ann');
    const random = seeded(3);
    let swapped = 0;
    for (let i = 0; i < 40; i++) {
      const next = (await lib.judgments.next(annotator.id, { random }))!;
      expect([...next.shownOrder].sort()).toEqual(ids(next.comparison).sort());
      if (next.shownOrder[0] !== ids(next.comparison)[0]) swapped++;
      expect(Object.keys(next)).toEqual(['comparison', 'shownOrder']);
    }
    expect(swapped).toBeGreaterThan(5);
    expect(swapped).toBeLessThan(35);
  });

  it('mixes gold items in at the requested rate and never past what is left', async () => {
    await lib.setGold(comparisons[0]!.id, ids(comparisons[0]!)[0]!);
    const { annotator } = await lib.annotators.create('ann');
    const always = (await lib.judgments.next(annotator.id, { goldRate: 1, random: seeded(1) }))!;
    expect(always.comparison.id).toBe(comparisons[0]!.id);
    const never = (await lib.judgments.next(annotator.id, { goldRate: 0, random: seeded(1) }))!;
    expect(never.comparison.goldImageId).toBeNull();
    await choose(annotator.id, comparisons[0]!);
    expect((await lib.judgments.next(annotator.id, { goldRate: 1 }))!.comparison.goldImageId).toBeNull();
    // Gold is served beyond the overlap: every annotator is checked on it.
    const second = (await lib.annotators.create('second')).annotator;
    expect((await lib.judgments.next(second.id, { goldRate: 1, overlap: 1 }))!.comparison.id).toBe(
      comparisons[0]!.id,
    );
  });

  it('isOpenTo applies the same rule to one comparison', async () => {
    const me = (await lib.annotators.create('me')).annotator;
    const other = (await lib.annotators.create('other')).annotator;
    const [excluded, judgedByMe, full, gold] = comparisons as [
      Comparison,
      Comparison,
      Comparison,
      Comparison,
    ];
    const open = (comparison: Comparison, overlap = 1) =>
      lib.judgments.isOpenTo(comparison.id, me.id, overlap);
    expect(await Promise.all(comparisons.map((comparison) => open(comparison)))).toEqual([
      true,
      true,
      true,
      true,
    ]);

    await lib.setExcluded(excluded.id, true);
    expect(await open(excluded)).toBe(false);

    await choose(me.id, judgedByMe);
    expect(await open(judgedByMe, 2)).toBe(false);

    // A skip does not count towards the overlap; a real judgment does.
    await lib.judgments.submit({
      comparisonId: full.id,
      annotatorId: other.id,
      kind: 'skip',
      shownOrder: ids(full),
      idempotencyKey: 'skip',
    });
    expect(await open(full)).toBe(true);
    await lib.judgments.undoLast(other.id);
    await choose(other.id, full);
    expect(await open(full)).toBe(false);
    expect(await open(full, 2)).toBe(true);

    // Gold is open past the overlap, but still not twice to one annotator.
    await lib.setGold(gold.id, ids(gold)[0]!);
    await choose(other.id, gold);
    expect(await open(gold)).toBe(true);
    await choose(me.id, gold);
    expect(await open(gold)).toBe(false);

    expect(await lib.judgments.isOpenTo(424242, me.id, 1)).toBe(false);
    await expect(open(full, 0)).rejects.toThrow(/overlap/);
  });

  it('skips excluded comparisons', async () => {
    const { annotator } = await lib.annotators.create('ann');
    for (const comparison of comparisons.slice(1)) await lib.setExcluded(comparison.id, true);
    expect((await lib.judgments.next(annotator.id))!.comparison.id).toBe(comparisons[0]!.id);
    await choose(annotator.id, comparisons[0]!);
    expect(await lib.judgments.next(annotator.id)).toBeNull();
  });
});

describe('scores and tags', () => {
  it('upserts scores and tags images and comparisons', async () => {
    const image = comparisons[0]!.images[0]!;
    const promptId = comparisons[0]!.promptId;
    await lib.scores.set({ modelId: 'hps-v2.1', imageId: image.id, promptId, score: 27.5, cosine: 0.275 });
    await lib.scores.set({ modelId: 'hps-v2.1', imageId: image.id, promptId, score: 28, cosine: 0.28 });
    expect(await lib.scores.list()).toEqual([
      { modelId: 'hps-v2.1', imageId: image.id, promptId, score: 28, cosine: 0.28 },
    ]);
    await expect(
      lib.scores.set({ modelId: 'x', imageId: image.id, promptId, score: NaN, cosine: null }),
    ).rejects.toThrow(/finite/);
    await lib.tags.addToImages([image.id], 'keep');
    await lib.tags.addToComparisons([comparisons[1]!.id], 'hard');
    expect(await lib.tags.ofImage(image.id)).toEqual(['keep']);
    expect(await lib.tags.ofComparison(comparisons[1]!.id)).toEqual(['hard']);
    await lib.tags.removeFromImages([image.id], 'keep');
    expect(await lib.tags.ofImage(image.id)).toEqual([]);
  });

  it('deleting a comparison removes its judgments but keeps images', async () => {
    const { annotator } = await lib.annotators.create('ann');
    await choose(annotator.id, comparisons[0]!);
    await lib.deleteComparison(comparisons[0]!.id);
    expect(await lib.stats()).toMatchObject({ comparisons: 3, judgments: 0, images: 8 });
  });
});
