// The Train view's one click in browser mode: a small labeled library, the tiny SD model at 32 px, a few steps;
// the live loss curve appears and the finished run shows in the history with its kohya file written. A scorer
// with stored scores is offered as "Pairs from" and its id travels with training.start.
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Library } from '../../main/services/library';
import { clipVocab, labeledLibrary, tinyModel, type TestApi } from '../api/generate-helpers';
import { servedPage } from './generate-helpers';

let t: TestApi;
let close: () => Promise<void>;
let page: Page;
let errors: string[];
const SCORER = 'hps-v2.1';

/** The labeled library, every image also scored by SCORER (brighter ids score higher). */
async function labeledAndScored(dir: string): Promise<void> {
  await labeledLibrary(dir);
  const library = await Library.open(dir);
  try {
    for (const comparison of await library.listComparisons())
      for (const [i, image] of comparison.images.entries())
        await library.scores.set({
          modelId: SCORER,
          imageId: image.id,
          promptId: comparison.promptId,
          score: i,
          cosine: null,
        });
  } finally {
    await library.close();
  }
}

beforeAll(async () => {
  ({ t, page, errors, close } = await servedPage('hps-e2e-train-', labeledAndScored));
}, 120_000);

afterAll(() => close?.());

describe('Train view (browser mode)', () => {
  it('starts LoRA training in one click, draws the loss curve, then A/B-labels base vs adapted', async () => {
    await page.goto(`${t.url}#/train`);
    await page.getByRole('heading', { level: 1, name: 'Train' }).waitFor();
    // The defaults are in view: rank 4, lr 1e-4.
    expect(await page.getByRole('spinbutton', { name: 'Rank', exact: true }).inputValue()).toBe('4');
    expect(
      Number(await page.getByRole('spinbutton', { name: 'Learning rate', exact: true }).inputValue()),
    ).toBe(1e-4);
    await page.getByText('2 judgments in the library').waitFor();

    await page.getByRole('textbox', { name: 'Model path', exact: true }).fill(tinyModel);
    await page.getByRole('textbox', { name: 'Vocabulary', exact: true }).fill(clipVocab);
    await page.getByRole('spinbutton', { name: 'Steps', exact: true }).fill('4');
    await page.getByRole('spinbutton', { name: 'Resolution', exact: true }).fill('32');
    // Gradient checkpointing is on by default (512 px fits a desktop), under Advanced settings.
    await page.getByText('Advanced settings').click();
    expect(await page.getByRole('checkbox', { name: 'Gradient checkpointing' }).isChecked()).toBe(true);
    expect(await page.getByRole('combobox', { name: 'Output format' }).inputValue()).toBe('kohya');
    expect(await page.getByRole('textbox', { name: 'Regularisation folder' }).inputValue()).toBe('');
    await page.getByRole('button', { name: 'Train LoRA' }).click();

    await page.getByRole('img', { name: 'Loss curve' }).waitFor({ timeout: 240_000 });
    const run = page.getByRole('region', { name: /^Run hps-/ });
    await run.getByRole('status').filter({ hasText: 'done' }).waitFor({ timeout: 240_000 });
    expect(await run.getByLabel('Training step').textContent()).toBe('step 4 of 4');
    // The curve has one point per step (recharts draws the path once the data is there).
    expect(await page.locator('.train-chart path.recharts-curve').count()).toBeGreaterThanOrEqual(2);

    const history = page.getByRole('table', { name: 'Run history' });
    await history.getByText('completed').waitFor({ timeout: 30_000 });
    const runs = await t.call('training.runs');
    expect(runs.runs[0]).toMatchObject({ status: 'completed', step: 4 });
    expect(existsSync(runs.runs[0].output)).toBe(true);
    expect(path.dirname(runs.runs[0].output)).toBe(path.join(t.libraryDir, 'loras'));

    // After training: the A/B grid, same prompt and seed without and with the LoRA, sent back to labeling.
    await history.getByRole('button', { name: 'A/B grid' }).click();
    const ab = page.getByRole('region', { name: 'A/B grid' });
    await ab.getByRole('textbox', { name: 'A/B prompts' }).fill('a smooth gradient');
    await ab.getByRole('spinbutton', { name: 'A/B seed' }).fill('7');
    await ab.getByRole('button', { name: 'Generate A/B' }).click();
    await ab.getByRole('img', { name: 'seed 7' }).nth(1).waitFor({ timeout: 120_000 });
    expect(await ab.getByRole('img', { name: 'seed 7' }).count()).toBe(2);
    await ab.getByRole('button', { name: 'Send pairs to labeling' }).click();
    await ab.getByRole('status').filter({ hasText: '1 comparisons added' }).waitFor();
    const done = t.events
      .filter((e) => e.event === 'generate.done')
      .map((e) => e.payload as { settings: { loras: unknown[]; negative: string } });
    expect(done.map((b) => b.settings.loras.length).sort()).toEqual([0, 1]);
    // HPS recipe: the adapted side carries the identifier as its negative prompt.
    expect(done.find((b) => b.settings.loras.length === 1)?.settings.negative).toBe('Weird image. ');
    expect(errors).toEqual([]);
  }, 400_000);

  it('trains on pairs a scorer\'s stored scores choose, picked in "Pairs from"', async () => {
    const pairsFrom = page.getByRole('combobox', { name: 'Pairs from', exact: true });
    expect(await pairsFrom.locator('option').allTextContents()).toEqual(['human labels', SCORER]);
    await pairsFrom.selectOption(SCORER);
    await page.getByText(`Pairs chosen by ${SCORER}'s stored scores`).waitFor();
    await page.getByRole('textbox', { name: 'Model path', exact: true }).fill(tinyModel);
    await page.getByRole('textbox', { name: 'Vocabulary', exact: true }).fill(clipVocab);
    await page.getByRole('spinbutton', { name: 'Steps', exact: true }).fill('1');
    await page.getByRole('spinbutton', { name: 'Resolution', exact: true }).fill('32');
    const request = page.waitForRequest((r) => r.url().endsWith('/api/training.start'));
    const response = page.waitForResponse((r) => r.url().endsWith('/api/training.start'));
    await page.getByRole('button', { name: 'Train LoRA' }).click();
    expect((await request).postDataJSON()).toMatchObject({ pairsBy: SCORER, steps: 1 });
    const { runName } = (await (await response).json()) as { runName: string };
    const run = page.getByRole('region', { name: `Run ${runName}` });
    await run.getByRole('status').filter({ hasText: 'done' }).waitFor({ timeout: 240_000 });
    const recorded = (await t.call('training.runs')).runs.find((r: { name: string }) => r.name === runName);
    expect(recorded).toMatchObject({ status: 'completed', pairsBy: SCORER });
    expect(errors).toEqual([]);
  }, 300_000);
});
