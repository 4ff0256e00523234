import { readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  exportHpdV2,
  exportPairs,
  exportPickapic,
  exportScoresCsv,
  importFolder,
  importHpd,
  importPairs,
  importPickapic,
  type Library,
} from '../../main/services/library';
import { makePng, tempDir } from './helpers';
import { openTestLibrary } from './open-library';

let root: string;
let cleanup: () => void;
let source: Library;
beforeEach(async () => {
  const temp = tempDir();
  root = temp.dir;
  cleanup = temp.cleanup;
  source = await buildLibrary(path.join(root, 'source'));
});
afterEach(async () => {
  await source.close();
  cleanup();
});

/**
 * 3 prompts: "p0" with 3 images (N-way), "p1" split into pairs (group "g"), "p2" a pair nobody judged.
 * Two annotators judge with every kind; one comparison carries a gold answer.
 */
async function buildLibrary(dir: string): Promise<Library> {
  const folder = path.join(root, 'shots');
  mkdirSync(folder, { recursive: true });
  const rows: string[] = ['image,prompt,group'];
  for (let i = 0; i < 8; i++) {
    writeFileSync(path.join(folder, `${i}.png`), await makePng(i));
    rows.push(`${i}.png,p${i < 3 ? 0 : i < 6 ? 1 : 2},${i >= 3 && i < 6 ? 'g' : ''}`);
  }
  writeFileSync(path.join(folder, 'prompts.csv'), rows.join('\n'));
  const lib = await openTestLibrary(dir);
  await importFolder(lib, folder, path.join(folder, 'prompts.csv'));
  const p1 = path.join(folder, 'p1.csv');
  writeFileSync(p1, ['image,prompt,group', '3.png,p1,g', '4.png,p1,g', '5.png,p1,g'].join('\n'));
  await importFolder(lib, folder, p1, { split: 'pairs' });
  const comparisons = await lib.listComparisons();
  const ann = (await lib.annotators.create('ann')).annotator;
  const bob = (await lib.annotators.create('bob', 'admin')).annotator;
  const ids = (n: number): number[] => comparisons[n]!.images.map((image) => image.id);
  const submit = async (
    annotatorId: number,
    n: number,
    rest: Record<string, unknown>,
    key: string,
  ): Promise<void> => {
    await lib.judgments.submit({
      comparisonId: comparisons[n]!.id,
      annotatorId,
      shownOrder: [...ids(n)].reverse(),
      decisionMs: 100 + n,
      idempotencyKey: key,
      kind: 'skip',
      ...rest,
    });
  };
  // comparisons: 0 = p0 (3 images), 1 = p1 group g (3 images, from the first import), 2 = p2 pair, 3..5 = p1 pairs
  await lib.setGold(comparisons[3]!.id, ids(3)[1]!);
  await submit(ann.id, 0, { kind: 'choice', chosenImageId: ids(0)[2] }, 'k-ann-0');
  await submit(bob.id, 0, { kind: 'ranking', ranking: [ids(0)[1], ids(0)[2], ids(0)[0]] }, 'k-bob-0');
  await submit(ann.id, 3, { kind: 'choice', chosenImageId: ids(3)[1] }, 'k-ann-3');
  await submit(bob.id, 3, { kind: 'tie' }, 'k-bob-3');
  await submit(ann.id, 4, { kind: 'both-bad' }, 'k-ann-4');
  await submit(bob.id, 4, { kind: 'skip' }, 'k-bob-4');
  await submit(ann.id, 5, { kind: 'choice', chosenImageId: ids(5)[0] }, 'k-ann-5');
  await submit(ann.id, 1, { kind: 'tie' }, 'k-ann-1');
  return lib;
}

/** Everything that must survive a round trip, by content (hashes, names, keys) rather than row ids. */
async function snapshot(lib: Library) {
  const hash = new Map((await lib.listImages()).map((image) => [image.id, image.hash]));
  const names = new Map((await lib.annotators.list()).map((a) => [a.id, a.name]));
  const comparisons = await lib.listComparisons();
  const describe = new Map(
    comparisons.map((c) => [c.id, `${c.prompt}|${c.images.map((i) => i.hash).join(',')}`]),
  );
  return {
    prompts: (await lib.listPrompts()).map((p) => p.text).sort(),
    images: [...hash.values()].sort(),
    comparisons: comparisons
      .map((c) => ({
        key: describe.get(c.id),
        group: c.group,
        gold: c.goldImageId === null ? null : hash.get(c.goldImageId),
      }))
      .sort((a, b) => a.key!.localeCompare(b.key!)),
    judgments: (await lib.judgments.list())
      .map((j) => ({
        comparison: describe.get(j.comparisonId),
        annotator: names.get(j.annotatorId),
        kind: j.kind,
        chosen: j.chosenImageId === null ? null : hash.get(j.chosenImageId),
        ranking: j.ranking?.map((id) => hash.get(id)) ?? null,
        shown: j.shownOrder.map((id) => hash.get(id)),
        ms: j.decisionMs,
        time: j.createdAt,
        key: j.idempotencyKey,
      }))
      .sort((a, b) => a.key.localeCompare(b.key)),
  };
}

describe('pairs JSONL export', () => {
  it('writes prompt/chosen/rejected/tie/annotator/time with paths relative to the file, images copied beside it', async () => {
    const out = path.join(root, 'out', 'labels.jsonl');
    mkdirSync(path.dirname(out));
    const report = await exportPairs(source, out);
    const lines = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    // choice on 3 images → 2 lines; ranking of 3 → 3 pairs; the rest 1 line each (6 more), unlabeled p2 → 1
    expect(lines).toHaveLength(2 + 3 + 6 + 1);
    expect(report).toMatchObject({ format: 'pairs-jsonl', records: 12, imagesCopied: 8 });
    const first = lines[0];
    expect(first).toMatchObject({
      prompt: 'p0',
      tie: false,
      annotator: 'ann',
      id: 'k-ann-0',
      kind: 'choice',
    });
    expect(existsSync(path.join(path.dirname(out), first.chosen))).toBe(true);
    expect(first.chosen).toMatch(/^labels_images\/[0-9a-f]{64}\.png$/);
    expect(typeof first.time).toBe('string');
    const preferencesOnly = await exportPairs(source, path.join(root, 'out', 'prefs.jsonl'), {
      preferencesOnly: true,
    });
    expect(preferencesOnly.records).toBe(12 - 3);
    expect(preferencesOnly.skipped).toEqual([
      { reason: 'unlabeled comparison', count: 1 },
      { reason: 'both-bad judgment', count: 1 },
      { reason: 'skip judgment', count: 1 },
    ]);
  });

  it('round-trips exactly into an empty library: prompts, image hashes, comparisons and judgments', async () => {
    const out = path.join(root, 'export', 'pairs.jsonl');
    mkdirSync(path.dirname(out));
    await exportPairs(source, out);
    const copy = await openTestLibrary(path.join(root, 'copy'));
    const report = await importPairs(copy, out);
    expect(report.errors).toEqual([]);
    expect(await snapshot(copy)).toEqual(await snapshot(source));
    expect((await snapshot(copy)).judgments).toHaveLength(8);
    await copy.close();
  });
});

describe('other export formats', () => {
  it('HPD v2 train and test shapes re-import with the same preferences', async () => {
    const train = path.join(root, 'hpd', 'train.json');
    const test = path.join(root, 'hpd', 'test.json');
    mkdirSync(path.dirname(train));
    // train holds the choice and tie judgments: k-ann-0, k-ann-1 (tie), k-ann-3, k-bob-3 (tie), k-ann-5
    expect((await exportHpdV2(source, train)).records).toBe(5);
    const items = JSON.parse(readFileSync(train, 'utf8'));
    expect(items.map((item: { human_preference: number[] }) => item.human_preference)).toEqual([
      [0, 0, 1],
      [1, 1, 1],
      [0, 1],
      [1, 1],
      [1, 0],
    ]);
    expect(items[0]).toEqual({
      prompt: 'p0',
      image_path: expect.any(Array),
      human_preference: [0, 0, 1],
      user_hash: 'ann',
    });
    expect(existsSync(path.join(path.dirname(train), items[0].image_path[0]))).toBe(true);
    expect((await exportHpdV2(source, test, { split: 'test' })).records).toBe(1);
    const testItems = JSON.parse(readFileSync(test, 'utf8'));
    expect(testItems[0]).toMatchObject({
      prompt: 'p0',
      rank: [3, 1, 2],
      raw_annotations: [{ rank: [3, 1, 2], user_hash: 'bob' }],
    });

    const copy = await openTestLibrary(path.join(root, 'hpd-copy'));
    expect((await importHpd(copy, train)).errors).toEqual([]);
    expect((await importHpd(copy, test)).errors).toEqual([]);
    const strip = (s: Awaited<ReturnType<typeof snapshot>>) =>
      s.judgments
        .filter((j) => ['choice', 'tie', 'ranking'].includes(j.kind))
        .map((j) => [j.comparison, j.annotator, j.kind, j.chosen, j.ranking])
        .sort();
    expect(strip(await snapshot(copy))).toEqual(strip(await snapshot(source)));
    await copy.close();
  });

  it('Pick-a-Pic parquet carries two-image choice/tie judgments and re-imports them', async () => {
    const out = path.join(root, 'pickapic.parquet');
    const report = await exportPickapic(source, out);
    expect(report.records).toBe(3); // k-ann-3 choice, k-bob-3 tie, k-ann-5 choice (the pairs)
    expect(report.skipped).toEqual([
      { reason: '3-image comparison', count: 3 },
      { reason: 'both-bad judgment', count: 1 },
      { reason: 'skip judgment', count: 1 },
    ]);
    const copy = await openTestLibrary(path.join(root, 'pp-copy'));
    const imported = await importPickapic(copy, out);
    expect(imported).toMatchObject({ judgmentsAdded: 3, errors: [] });
    const pick = (s: Awaited<ReturnType<typeof snapshot>>) =>
      s.judgments
        .filter((j) => ['k-ann-3', 'k-bob-3', 'k-ann-5'].includes(j.key))
        .map((j) => [j.key, j.comparison, j.annotator, j.kind, j.chosen, j.time]);
    expect(pick(await snapshot(copy))).toEqual(pick(await snapshot(source)));
    await copy.close();
  });

  it('scores CSV lists model, prompt, image hash and score', async () => {
    const [comparison] = await source.listComparisons();
    const image = comparison!.images[0]!;
    await source.scores.set({
      modelId: 'hps-v2.1',
      imageId: image.id,
      promptId: comparison!.promptId,
      score: 27.25,
      cosine: 0.2725,
    });
    await source.scores.set({
      modelId: 'aesthetic',
      imageId: image.id,
      promptId: comparison!.promptId,
      score: 5.5,
      cosine: null,
    });
    const out = path.join(root, 'scores.csv');
    expect((await exportScoresCsv(source, out)).records).toBe(2);
    const rows = parse(readFileSync(out), { columns: true });
    expect(rows).toEqual([
      {
        model_id: 'aesthetic',
        prompt: 'p0',
        image_hash: image.hash,
        image_ext: 'png',
        score: '5.5',
        cosine: '',
      },
      {
        model_id: 'hps-v2.1',
        prompt: 'p0',
        image_hash: image.hash,
        image_ext: 'png',
        score: '27.25',
        cosine: '0.2725',
      },
    ]);
  });
});

describe('Pick-a-Pic export across row groups', () => {
  it('writes more rows than one row group holds and reads every label back', async () => {
    const lib = await openTestLibrary(path.join(root, 'many'));
    const a = (await lib.addImage(await makePng(50))).image.id;
    const b = (await lib.addImage(await makePng(51))).image.id;
    const annotator = (await lib.annotators.create('m')).annotator.id;
    // 150 comparisons (more than two 64-row groups): the first image wins when i % 3 = 0, tie when i % 3 = 1, else the second.
    for (let i = 0; i < 150; i++) {
      const { comparison } = await lib.addComparison({ prompt: `q${i}`, imageIds: [a, b] });
      const kind = i % 3 === 1 ? 'tie' : 'choice';
      await lib.judgments.submit({
        comparisonId: comparison.id,
        annotatorId: annotator,
        kind,
        chosenImageId: kind === 'tie' ? null : i % 3 === 0 ? a : b,
        shownOrder: [a, b],
        idempotencyKey: `q${i}`,
      });
    }
    const out = path.join(root, 'many.parquet');
    expect((await exportPickapic(lib, out)).records).toBe(150);
    await lib.close();
    const copy = await openTestLibrary(path.join(root, 'many-copy'));
    expect(await importPickapic(copy, out)).toMatchObject({
      records: 150,
      judgmentsAdded: 150,
      imagesAdded: 2,
      errors: [],
    });
    const outcome = async (key: string) => {
      const j = (await copy.judgments.byKey(key))!;
      const first = (await copy.requireComparison(j.comparisonId)).images[0]!.id;
      return j.kind === 'tie' ? 'tie' : j.chosenImageId === first ? 'first' : 'second';
    };
    const outcomes: string[] = [];
    for (let i = 0; i < 150; i++) outcomes.push(await outcome(`q${i}`));
    expect(outcomes).toEqual(
      Array.from({ length: 150 }, (_, i) => (i % 3 === 0 ? 'first' : i % 3 === 1 ? 'tie' : 'second')),
    );
    await copy.close();
  });
});
