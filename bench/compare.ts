// Compare view bench: time from a choice keypress to the next item on screen, in Chromium against `serve`
// (performance marks in the page: 'hps:choice' at the keypress, measured when the next item's images are
// loaded and the frame that shows them is about to paint). The judgment is committed before the switch.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  cli,
  ensureRendererBuilt,
  launchChromium,
  startServe,
  writeImageFolder,
} from '../tests/e2e/labeling-helpers';
import type { BenchContext, BenchSuite, BenchTable } from './harness';

export const suite: BenchSuite = {
  name: 'compare',
  description: 'choice keypress → next item on screen in Chromium (ms), 512 px noisy PNGs',
  run: async (ctx) => {
    ensureRendererBuilt();
    const dir = await mkdtemp(path.join(os.tmpdir(), 'hps-bench-compare-'));
    try {
      return [await timeToNext(ctx, dir)];
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
};

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

async function timeToNext(ctx: BenchContext, dir: string): Promise<BenchTable> {
  const items = ctx.quick ? 12 : 50;
  const library = path.join(dir, 'library');
  ctx.log('compare: writing and importing images');
  // 20 prompts × 5 images → 10 pairs each = 200 two-up comparisons, enough for both paces.
  const prompts = await writeImageFolder(path.join(dir, 'src'), 20, 5, { size: 512, noise: true });
  cli([
    'import',
    '--library',
    library,
    '--folder',
    path.join(dir, 'src'),
    '--prompts',
    prompts,
    '--split-pairs',
  ]);
  const serve = await startServe(library);
  const browser = await launchChromium();
  const rows: (string | number)[][] = [];
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(`${serve.url}#/compare`);
    await page.locator('.stage').waitFor();
    for (const [pace, pauseMs] of [
      ['annotator pace (400 ms to decide)', 400],
      ['rapid (next key as soon as shown)', 0],
    ] as const) {
      ctx.log(`compare: ${pace}`);
      await page.evaluate(() => {
        performance.clearMeasures('hps:choice-to-next');
        performance.clearResourceTimings();
      });
      for (let i = 0; i < items; i++) {
        const before = await page.locator('.stage').getAttribute('data-comparison-id');
        if (pauseMs) await page.waitForTimeout(pauseMs);
        await page.keyboard.press(i % 2 ? 'ArrowRight' : 'ArrowLeft');
        await page.waitForFunction(
          (id) => document.querySelector('.stage')?.getAttribute('data-comparison-id') !== id,
          before,
        );
      }
      await page.waitForTimeout(50);
      const times = (
        await page.evaluate(() => performance.getEntriesByName('hps:choice-to-next').map((e) => e.duration))
      ).sort((a, b) => a - b);
      const submits = (
        await page.evaluate(() =>
          performance
            .getEntriesByType('resource')
            .filter((e) => e.name.endsWith('/api/labeling.submit'))
            .map((e) => e.duration),
        )
      ).sort((a, b) => a - b);
      rows.push([
        pace,
        times.length,
        quantile(times, 0.5),
        quantile(times, 0.95),
        times.at(-1)!,
        submits.length ? quantile(submits, 0.5) : NaN,
      ]);
    }
  } finally {
    await browser.close();
    serve.child.kill('SIGTERM');
  }
  return {
    title: 'Compare view: choice keypress → next item on screen (ms)',
    columns: ['pace', 'items', 'median', 'p95', 'max', 'submit round trip (median)'],
    rows,
    notes: [
      'Includes the committed submit round trip (synchronous = FULL fsync) and the switch to the prefetched, decoded item.',
      'Target: on screen within 50 ms.',
    ],
  };
}
