import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parquetWriteFile } from 'hyparquet-writer';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  importFolder,
  importHpd,
  importPairs,
  importPickapic,
  type Library,
  type ImportProgress,
} from '../../main/services/library';
import { sha256Hex } from '../../main/services/library/imageStore';
import { makeJpeg, makePng, tempDir } from './helpers';
import { openTestLibrary } from './open-library';

let root: string;
let lib: Library;
let cleanup: () => void;
beforeEach(async () => {
  const temp = tempDir();
  root = temp.dir;
  cleanup = temp.cleanup;
  lib = await openTestLibrary(path.join(root, 'library'));
});
afterEach(async () => {
  await lib.close();
  cleanup();
});

async function writeImages(folder: string, count: number, start = 0): Promise<string[]> {
  mkdirSync(folder, { recursive: true });
  const names: string[] = [];
  for (let i = start; i < start + count; i++) {
    const name = `img_${i}.png`;
    writeFileSync(path.join(folder, name), await makePng(i));
    names.push(name);
  }
  return names;
}

describe('folder import', () => {
  it('imports 30 images across 10 prompts from CSV, one comparison per prompt, with progress', async () => {
    const folder = path.join(root, 'shots');
    const names = await writeImages(folder, 30);
    const csv = [
      'image,prompt,group',
      ...names.map((name, i) => `${name},"prompt ${Math.floor(i / 3)}, with a comma",`),
    ].join('\n');
    writeFileSync(path.join(folder, 'prompts.csv'), csv);
    const progress: ImportProgress[] = [];
    const report = await importFolder(lib, folder, path.join(folder, 'prompts.csv'), {
      onProgress: (p) => progress.push(p),
    });
    expect(report).toMatchObject({
      records: 30,
      imagesAdded: 30,
      imagesDuplicate: 0,
      comparisonsAdded: 10,
      errors: [],
    });
    expect(await lib.stats()).toMatchObject({ prompts: 10, images: 30, comparisons: 10 });
    const first = (await lib.listComparisons())[0]!;
    expect(first.prompt).toBe('prompt 0, with a comma');
    expect(first.images.map((image) => image.hash)).toEqual(
      await Promise.all([0, 1, 2].map(async (i) => sha256Hex(await makePng(i)))),
    );
    expect(progress.at(-1)).toEqual({ done: 30, total: 30 });
    expect(progress.length).toBeGreaterThan(30);
    // Re-importing the same folder adds nothing: images match by hash, comparisons by prompt + image set.
    const again = await importFolder(lib, folder, path.join(folder, 'prompts.csv'));
    expect(again).toMatchObject({
      imagesAdded: 0,
      imagesDuplicate: 30,
      comparisonsAdded: 0,
      comparisonsDuplicate: 10,
    });
    expect((await lib.stats()).comparisons).toBe(10);
  });

  it('splits groups into every pair on request and keeps groups apart (JSONL prompts file)', async () => {
    const folder = path.join(root, 'shots');
    const names = await writeImages(folder, 5);
    const rows = names.map((image, i) => ({ image, prompt: 'a fox', group: i < 3 ? 'sd15' : 'sdxl' }));
    writeFileSync(path.join(folder, 'prompts.jsonl'), rows.map((row) => JSON.stringify(row)).join('\n'));
    const report = await importFolder(lib, folder, path.join(folder, 'prompts.jsonl'), { split: 'pairs' });
    // group sd15 has 3 images → 3 pairs; sdxl has 2 → 1 pair
    expect(report.comparisonsAdded).toBe(4);
    expect((await lib.listComparisons()).map((c) => [c.group, c.images.length])).toEqual([
      ['sd15', 2],
      ['sd15', 2],
      ['sd15', 2],
      ['sdxl', 2],
    ]);
  });

  it('takes gold answers from a gold column (one per prompt; only pairs containing it get it)', async () => {
    const folder = path.join(root, 'shots');
    const names = await writeImages(folder, 5);
    const csv = [
      'image,prompt,gold',
      `${names[0]},a,`,
      `${names[1]},a,yes`,
      `${names[2]},a,0`,
      `${names[3]},b,1`,
      `${names[4]},b,true`,
    ];
    writeFileSync(path.join(folder, 'p.csv'), csv.join('\n'));
    const report = await importFolder(lib, folder, path.join(folder, 'p.csv'), { split: 'pairs' });
    expect(report.errors.map((e) => e.message)).toEqual([expect.stringMatching(/marks 2 images as gold/)]);
    // prompt a: pairs (0,1) (0,2) (1,2); image 1 is gold → (0,1) and (1,2) carry it, (0,2) has none
    const gold = (await lib.listComparisons()).map((c) =>
      c.goldImageId === null ? null : c.images.findIndex((i) => i.id === c.goldImageId),
    );
    expect(gold).toEqual([1, null, 0]);
  });

  it('reports bad and missing files and bad rows, and goes on with the rest', async () => {
    const folder = path.join(root, 'shots');
    const names = await writeImages(folder, 4);
    writeFileSync(path.join(folder, 'broken.png'), 'not an image at all');
    writeFileSync(path.join(folder, 'dup.png'), await makePng(0));
    const lines = [
      ...names.map((image, i) => JSON.stringify({ image, prompt: `p${Math.floor(i / 2)}` })),
      JSON.stringify({ image: 'broken.png', prompt: 'p0' }),
      JSON.stringify({ image: 'missing.png', prompt: 'p1' }),
      JSON.stringify({ image: 'dup.png', prompt: 'p2' }),
      JSON.stringify({ image: 'img_3.png', prompt: 'p2' }),
      '{ not json',
      JSON.stringify({ image: 'img_1.png' }),
    ];
    writeFileSync(path.join(folder, 'prompts.jsonl'), lines.join('\n'));
    const report = await importFolder(lib, folder, path.join(folder, 'prompts.jsonl'));
    expect(report.comparisonsAdded).toBe(3);
    expect(report.imagesAdded).toBe(4);
    expect(report.imagesDuplicate).toBe(1); // dup.png has img_0.png's bytes
    const files = report.errors.map((error) => path.basename(error.file));
    expect(files).toEqual(['prompts.jsonl:9', 'prompts.jsonl:10', 'broken.png', 'missing.png']);
    expect(report.errors[0]!.message).toMatch(/JSON/);
    expect(report.errors[1]!.message).toMatch(/prompt/);
    expect(report.errors[2]!.message).toMatch(/not a readable image/);
    expect(report.errors[3]!.message).toMatch(/ENOENT/);
  });
});

describe('HPD imports', () => {
  it('imports HPD v1 preference_test.json: human_preference is the chosen index', async () => {
    const images = path.join(root, 'hpd1', 'preference_images');
    await writeImages(images, 6);
    const items = [
      {
        human_preference: 2,
        prompt: 'a castle',
        id: 11,
        file_path: ['img_0.png', 'img_1.png', 'img_2.png', 'img_3.png'],
        user_hash: 'u1',
        contain_name: false,
      },
      {
        human_preference: 0,
        prompt: 'a boat',
        id: 12,
        file_path: ['img_4.png', 'img_5.png'],
        user_hash: 'u2',
        contain_name: false,
      },
      {
        human_preference: 5,
        prompt: 'out of range',
        id: 13,
        file_path: ['img_4.png', 'img_0.png'],
        user_hash: 'u2',
      },
      { prompt: 'no label', file_path: ['img_4.png', 'img_0.png'] },
    ];
    const file = path.join(root, 'hpd1', 'preference_test.json');
    writeFileSync(file, JSON.stringify(items));
    const report = await importHpd(lib, file);
    expect(report).toMatchObject({ format: 'hpd-v1', records: 4, comparisonsAdded: 2, judgmentsAdded: 2 });
    // Item errors are collected when the item is committed, so sort by source before comparing.
    const errors = [...report.errors].sort((a, b) => a.file.localeCompare(b.file));
    expect(errors.map((e) => path.basename(e.file))).toEqual([
      'preference_test.json[2]',
      'preference_test.json[3]',
    ]);
    expect(errors.map((e) => e.message)).toEqual([
      expect.stringMatching(/out of range/),
      expect.stringMatching(/not an HPD item/),
    ]);
    const castle = (await lib.listComparisons())[0]!;
    const [judgment] = await lib.judgments.list({ comparisonId: castle.id });
    expect(judgment).toMatchObject({ kind: 'choice', chosenImageId: castle.images[2]!.id });
    expect(await lib.annotators.get(judgment!.annotatorId)).toMatchObject({ name: 'u1', canLogin: false });
    // Importing again is idempotent.
    expect(await importHpd(lib, file)).toMatchObject({
      comparisonsAdded: 0,
      judgmentsAdded: 0,
      judgmentsDuplicate: 2,
    });
  });

  it('imports HPD v2 train.json (one-hot human_preference) and test.json (ranks, raw annotations)', async () => {
    const dir = path.join(root, 'HPD');
    await writeImages(path.join(dir, 'train'), 4);
    await writeImages(path.join(dir, 'test'), 3, 10);
    const train = [
      { human_preference: [0, 1], prompt: 'a cat', image_path: ['img_0.png', 'img_1.png'], user_hash: 'h1' },
      { human_preference: [1, 0], prompt: 'a dog', image_path: ['img_2.png', 'img_3.png'] },
      { human_preference: [1, 1], prompt: 'a cat', image_path: ['img_1.png', 'img_2.png'], user_hash: 'h1' },
    ];
    writeFileSync(path.join(dir, 'train.json'), JSON.stringify(train));
    const trainReport = await importHpd(lib, path.join(dir, 'train.json'));
    expect(trainReport).toMatchObject({
      format: 'hpd-v2-train',
      comparisonsAdded: 3,
      judgmentsAdded: 3,
      errors: [],
    });
    const [cat, dog, tie] = await lib.listComparisons();
    expect((await lib.judgments.list({ comparisonId: cat!.id }))[0]).toMatchObject({
      kind: 'choice',
      chosenImageId: cat!.images[1]!.id,
    });
    expect((await lib.judgments.list({ comparisonId: dog!.id }))[0]).toMatchObject({
      kind: 'choice',
      chosenImageId: dog!.images[0]!.id,
    });
    expect((await lib.judgments.list({ comparisonId: tie!.id }))[0]!.kind).toBe('tie');

    const test = [
      {
        prompt: 'a bridge',
        image_path: ['img_10.png', 'img_11.png', 'img_12.png'],
        rank: [2, 1, 3],
        raw_annotations: [
          { rank: [2, 1, 3], user_hash: 'r1' },
          { rank: [1, 2, 3], user_hash: 'r2' },
        ],
      },
      { prompt: 'a bridge at night', image_path: ['img_12.png', 'img_10.png'], rank: [2, 1] },
    ];
    writeFileSync(path.join(dir, 'test.json'), JSON.stringify(test));
    const testReport = await importHpd(lib, path.join(dir, 'test.json'));
    expect(testReport).toMatchObject({
      format: 'hpd-v2-test',
      comparisonsAdded: 2,
      judgmentsAdded: 3,
      errors: [],
    });
    const bridge = (await lib.listComparisons())[3]!;
    const ids = bridge.images.map((image) => image.id);
    expect((await lib.judgments.list({ comparisonId: bridge.id })).map((j) => j.ranking)).toEqual([
      [ids[1], ids[0], ids[2]],
      [ids[0], ids[1], ids[2]],
    ]);
    const night = (await lib.listComparisons())[4]!;
    expect((await lib.judgments.list({ comparisonId: night.id }))[0]!.ranking).toEqual([
      night.images[1]!.id,
      night.images[0]!.id,
    ]);
  });
});

describe('Pick-a-Pic parquet import', () => {
  it('reads caption, jpg_0/jpg_1 bytes and labels (0.5 = tie) through hyparquet', async () => {
    const jpgs = await Promise.all([0, 1, 2, 3].map((seed) => makeJpeg(seed)));
    const file = path.join(root, 'pickapic.parquet');
    parquetWriteFile({
      filename: file,
      columnData: [
        { name: 'caption', data: ['a lighthouse', 'a lighthouse', 'an owl', 'broken'], type: 'STRING' },
        { name: 'jpg_0', data: [jpgs[0], jpgs[2], jpgs[3], new Uint8Array([1, 2, 3])], type: 'BYTE_ARRAY' },
        { name: 'jpg_1', data: [jpgs[1], jpgs[0], jpgs[1], jpgs[1]], type: 'BYTE_ARRAY' },
        { name: 'label_0', data: [0, 1, 0.5, 1], type: 'DOUBLE' },
        { name: 'label_1', data: [1, 0, 0.5, 0], type: 'DOUBLE' },
        { name: 'user_id', data: ['7', '8', '7', '9'], type: 'STRING' },
      ],
    });
    const report = await importPickapic(lib, file);
    expect(report).toMatchObject({
      records: 4,
      comparisonsAdded: 3,
      judgmentsAdded: 3,
      imagesAdded: 4,
      imagesDuplicate: 2,
    });
    expect(report.errors).toHaveLength(1);
    expect(report.errors[0]!.file).toBe(`${file}#3`);
    expect(report.errors[0]!.message).toMatch(/not a readable image/);
    const [first, second, owl] = await lib.listComparisons();
    expect(first!.images.map((i) => i.hash)).toEqual([sha256Hex(jpgs[0]!), sha256Hex(jpgs[1]!)]);
    expect((await lib.judgments.list({ comparisonId: first!.id }))[0]).toMatchObject({
      kind: 'choice',
      chosenImageId: first!.images[1]!.id,
    });
    expect((await lib.judgments.list({ comparisonId: second!.id }))[0]).toMatchObject({
      kind: 'choice',
      chosenImageId: second!.images[0]!.id,
    });
    expect((await lib.judgments.list({ comparisonId: owl!.id }))[0]).toMatchObject({
      kind: 'tie',
      chosenImageId: null,
    });
    expect((await lib.annotators.list()).map((a) => a.name)).toEqual(['7', '8']);
  });

  it('reports a file that is not parquet or lacks the columns', async () => {
    const notParquet = path.join(root, 'x.parquet');
    writeFileSync(notParquet, 'hello');
    expect((await importPickapic(lib, notParquet)).errors[0]!.message).toMatch(/not a readable parquet/);
    const wrong = path.join(root, 'y.parquet');
    parquetWriteFile({ filename: wrong, columnData: [{ name: 'caption', data: ['a'], type: 'STRING' }] });
    expect((await importPickapic(lib, wrong)).errors[0]!.message).toMatch(
      /missing Pick-a-Pic column\(s\): jpg_0, jpg_1, label_0, label_1/,
    );
  });
});

describe('pairs JSONL import', () => {
  it('reads prompt/chosen/rejected/tie/annotator with paths relative to the file', async () => {
    const dir = path.join(root, 'pairs');
    await writeImages(path.join(dir, 'imgs'), 4);
    const lines = [
      {
        prompt: 'a tree',
        chosen: 'imgs/img_1.png',
        rejected: 'imgs/img_0.png',
        tie: false,
        annotator: 'zoe',
      },
      { prompt: 'a tree', chosen: 'imgs/img_2.png', rejected: 'imgs/img_3.png', tie: true, annotator: 'zoe' },
      { prompt: 'a tree', chosen: 'imgs/img_2.png', rejected: 'imgs/nope.png' },
    ];
    writeFileSync(path.join(dir, 'pairs.jsonl'), lines.map((l) => JSON.stringify(l)).join('\n'));
    const report = await importPairs(lib, path.join(dir, 'pairs.jsonl'));
    expect(report).toMatchObject({ records: 3, comparisonsAdded: 2, judgmentsAdded: 2 });
    expect(report.errors.map((e) => path.basename(e.file))).toEqual(['nope.png', 'pairs.jsonl:3']);
    const [first, second] = await lib.listComparisons();
    expect((await lib.judgments.list({ comparisonId: first!.id }))[0]).toMatchObject({
      kind: 'choice',
      chosenImageId: first!.images[0]!.id,
    });
    expect(first!.images[0]!.hash).toBe(sha256Hex(await makePng(1)));
    expect((await lib.judgments.list({ comparisonId: second!.id }))[0]!.kind).toBe('tie');
  });
});

describe('cancellation', () => {
  it('stops between records, keeps what was committed, and a re-run finishes the rest', async () => {
    const folder = path.join(root, 'shots');
    const names = await writeImages(folder, 6);
    writeFileSync(
      path.join(folder, 'p.csv'),
      ['image,prompt', ...names.map((n, i) => `${n},p${i >> 1}`)].join('\n'),
    );
    const controller = new AbortController();
    const onProgress = ({ done }: ImportProgress) => {
      if (done === 3) controller.abort(new Error('cancelled by the user'));
    };
    await expect(
      importFolder(lib, folder, path.join(folder, 'p.csv'), { onProgress, signal: controller.signal }),
    ).rejects.toThrow(/cancelled by the user/);
    // Aborted while record 4 (index 3) was being read: it completes, the check before record 5 stops the run.
    expect(await lib.stats()).toMatchObject({ images: 4, comparisons: 0 });
    const again = await importFolder(lib, folder, path.join(folder, 'p.csv'));
    expect(again).toMatchObject({ imagesAdded: 2, imagesDuplicate: 4, comparisonsAdded: 3 });
  });
});
