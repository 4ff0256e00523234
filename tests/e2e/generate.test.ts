// The Generate view end to end in browser mode with the tiny SD model: type a prompt, generate a batch, see
// the images with their seeds and the "no scorer loaded" hint, reuse a seed, add the "Weird image." negative,
// and send the batch to labeling (a comparison appears in the library); with two scorers loaded, every image
// gets a chip from each (HPS v2 first), filled in live.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { clipVocab, repoRoot, tinyModel, type TestApi } from '../api/generate-helpers';
import { servedPage } from './generate-helpers';

let t: TestApi;
let close: () => Promise<void>;
let page: Page;
let errors: string[];

beforeAll(async () => {
  ({ t, page, errors, close } = await servedPage('hps-e2e-generate-'));
}, 120_000);

afterAll(() => close?.());

describe('Generate view (browser mode)', () => {
  it('generates with the tiny model, shows seeds, reuses one and sends the batch to labeling', async () => {
    await page.goto(`${t.url}#/generate`);
    await page.getByRole('heading', { level: 1, name: 'Generate' }).waitFor();
    const generate = page.getByRole('button', { name: 'Generate', exact: true });
    expect(await generate.isDisabled()).toBe(true);

    await page.getByRole('textbox', { name: 'Model path', exact: true }).fill(tinyModel);
    await page.getByRole('textbox', { name: 'Vocabulary', exact: true }).fill(clipVocab);
    await page.getByRole('spinbutton', { name: 'Steps', exact: true }).fill('3');
    await page.getByRole('spinbutton', { name: 'Seed', exact: true }).fill('5');
    await page.getByRole('spinbutton', { name: 'Width', exact: true }).fill('32');
    await page.getByRole('spinbutton', { name: 'Height', exact: true }).fill('32');
    await page.getByRole('spinbutton', { name: 'Batch', exact: true }).fill('2');
    expect(await page.getByRole('combobox', { name: 'Scheduler' }).locator('option').count()).toBe(8);
    await page.getByRole('combobox', { name: 'Scheduler' }).selectOption('euler-a');
    await page.getByRole('button', { name: '+ “Weird image.”' }).click();
    expect(await page.getByRole('textbox', { name: 'Negative prompt', exact: true }).inputValue()).toBe(
      'Weird image. ',
    );
    await page.getByRole('textbox', { name: 'Prompt', exact: true }).fill('a red cube on a blue table');
    await generate.click();

    const batch = page.getByRole('region', { name: /^Batch / });
    await batch.waitFor({ timeout: 240_000 });
    for (const seed of [5, 6]) {
      const img = batch.getByRole('img', { name: `seed ${seed}` });
      await img.waitFor();
      // The PNG loaded through /library-files/ (naturalWidth is 0 for a broken image).
      await page.waitForFunction(
        (el) => (el as HTMLImageElement).naturalWidth === 32,
        await img.elementHandle(),
      );
    }
    expect(await batch.getByText('no scorer loaded: load one in Models to see scores').count()).toBe(2);
    expect(t.events.some((e) => e.event === 'generate.preview')).toBe(true);

    await batch.getByRole('button', { name: 'seed 6' }).click();
    expect(await page.getByRole('spinbutton', { name: 'Seed', exact: true }).inputValue()).toBe('6');

    await batch.getByRole('button', { name: 'Send to labeling' }).click();
    const status = batch.getByRole('status');
    await status.waitFor();
    const id = Number(/comparison (\d+)/.exec((await status.textContent()) ?? '')?.[1]);
    const comparison = await t.app.library.getComparison(id);
    expect(comparison?.prompt).toBe('a red cube on a blue table');
    expect(comparison?.images).toHaveLength(2);
    expect(errors).toEqual([]);
  }, 300_000);

  it('shows a chip from every loaded scorer under each new image, HPS v2 first', async () => {
    const clip = path.resolve(repoRoot, '../shared/fixtures/clip');
    for (const file of ['hps_v1_tiny.pt', 'hps_v2_tiny.pt'])
      await t.call('scorers.load', { path: path.join(clip, file), vocab: clipVocab, scoreLibrary: false });
    await page.getByRole('spinbutton', { name: 'Seed', exact: true }).fill('40');
    await page.getByRole('button', { name: 'Generate', exact: true }).click();
    // The newest batch is listed first.
    const batch = page.getByRole('region', { name: /^Batch / }).first();
    await batch.getByRole('img', { name: 'seed 40' }).waitFor({ timeout: 240_000 });
    for (const seed of [40, 41]) {
      const caption = batch.locator('figure', { has: page.getByRole('img', { name: `seed ${seed}` }) });
      const chips = caption.locator('.gen-chip');
      await expect
        .poll(() => chips.allTextContents(), { timeout: 60_000 })
        .toEqual([
          expect.stringMatching(/^hps_v2_tiny -?\d+\.\d\d$/),
          expect.stringMatching(/^hps_v1_tiny -?\d+\.\d\d$/),
        ]);
    }
    // The chips are the batch's stored scores.
    const batchId = (await batch.getAttribute('aria-label'))!.replace('Batch ', '');
    const stored = await t.call('generate.batch', { batchId });
    const first = batch.locator('figure').first().locator('.gen-chip').first();
    expect(await first.textContent()).toBe(`hps_v2_tiny ${stored.images[0].scores.hps_v2_tiny.toFixed(2)}`);
    expect(errors).toEqual([]);
  }, 300_000);
});
