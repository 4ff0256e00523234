// Library bench: the calls the compare view makes per item (next, submit with a durable commit, undo) at
// growing library sizes, and thumbnail generation versus the cached file.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { Library } from '../main/services/library';
import type { BenchContext, BenchSuite, BenchTable } from './harness';

export const suite: BenchSuite = {
  name: 'library',
  description: 'labeling calls per item (ms) at growing library sizes; thumbnails',
  run: async (ctx) => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'hps-bench-library-'));
    try {
      return [await labelingTable(ctx, dir), await thumbnailTable(dir)];
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
};

async function labelingTable(ctx: BenchContext, root: string): Promise<BenchTable> {
  const sizes = ctx.quick ? [1_000] : [1_000, 20_000, 100_000];
  const rows: (string | number)[][] = [];
  for (const size of sizes) {
    ctx.log(`library: ${size} comparisons`);
    const lib = await Library.open(path.join(root, `lib-${size}`));
    const a = (await lib.addImage(await solid(1))).image.id;
    const b = (await lib.addImage(await solid(2))).image.id;
    const filler = (await lib.createAnnotator('filler')).annotator.id;
    // Half the library is already labelled: the worst case for finding the next open item in id order.
    await lib.transaction(async (tx) => {
      for (let i = 0; i < size; i++) {
        const { comparison } = await tx.addComparison({ prompt: `prompt ${i}`, imageIds: [a, b] });
        if (i < size / 2) {
          await tx.submitJudgment({
            comparisonId: comparison.id,
            annotatorId: filler,
            kind: 'tie',
            shownOrder: [a, b],
            idempotencyKey: `f${i}`,
          });
        }
      }
    });
    const annotator = (await lib.createAnnotator('bench')).annotator.id;
    const next: number[] = [];
    const submit: number[] = [];
    const undo: number[] = [];
    for (let n = 0; n < 200; n++) {
      let start = performance.now();
      const item = (await lib.nextComparison(annotator, { overlap: 1 }))!;
      next.push(performance.now() - start);
      start = performance.now();
      await lib.submitJudgment({
        comparisonId: item.comparison.id,
        annotatorId: annotator,
        kind: 'choice',
        chosenImageId: item.shownOrder[0],
        shownOrder: item.shownOrder,
        decisionMs: 500,
        idempotencyKey: `b${n}`,
      });
      submit.push(performance.now() - start);
      if (n % 10 === 9) {
        start = performance.now();
        await lib.undoLastJudgment(annotator);
        undo.push(performance.now() - start);
      }
    }
    await lib.close();
    rows.push([size, median(next), p95(next), median(submit), p95(submit), median(undo)]);
  }
  return {
    title: 'Labeling calls (ms per call, 200 items, half the library already labelled)',
    columns: ['comparisons', 'next median', 'next p95', 'submit median', 'submit p95', 'undo median'],
    rows,
    notes: ['submit and undo commit with synchronous = FULL (WAL fsync per commit) before returning.'],
  };
}

async function thumbnailTable(root: string): Promise<BenchTable> {
  const lib = await Library.open(path.join(root, 'thumbs'));
  const rows: (string | number)[][] = [];
  for (const size of [512, 1024, 2048]) {
    const bytes = await sharp({
      create: { width: size, height: size, channels: 3, background: { r: size % 255, g: 80, b: 160 } },
    })
      .png()
      .toBuffer();
    const { image } = await lib.addImage(bytes);
    let start = performance.now();
    await lib.thumbnailPath(image.id);
    const first = performance.now() - start;
    start = performance.now();
    await lib.thumbnailPath(image.id);
    rows.push([`${size}×${size} PNG`, first, performance.now() - start]);
  }
  await lib.close();
  return {
    title: '256 px WebP thumbnail (ms)',
    columns: ['source', 'first request (generate)', 'cached'],
    rows,
  };
}

function solid(seed: number): Promise<Buffer> {
  return sharp({ create: { width: 64, height: 64, channels: 3, background: { r: seed * 40, g: 10, b: 10 } } })
    .png()
    .toBuffer();
}

function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function p95(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.floor(sorted.length * 0.95)]!;
}
