// The Train view's preference-model section in browser mode: fine-tune hps_v1_tiny on a library whose
// preferred image is the brighter one, read the held-out table, load the result for live readouts, and put
// the comparisons to label next at the head of Compare's queue — by its uncertainty, then by the disagreement
// of two scorers' stored scores — and clear that queue again; Evaluate then shows its held-out table.
import { existsSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApi } from '../api/generate-helpers';
import { fixture, VOCAB } from '../models/clip-fixtures';
import { syntheticLibrary } from '../preference/synthetic';
import { servedPage } from './generate-helpers';

const SCREENSHOT = new URL('../../assets/screenshots/train-scorer.png', import.meta.url).pathname;
let t: TestApi;
let page: Page;
let errors: string[];
let close: () => Promise<void>;

beforeAll(async () => {
  ({ t, page, errors, close } = await servedPage('hps-e2e-scorer-', async (dir) => {
    const library = await syntheticLibrary(dir, { prompts: 20, comparisonsPerPrompt: 4, unlabelled: 3 });
    await library.close();
  }));
}, 120_000);

afterAll(() => close?.());

const scoringDone = () =>
  expect
    .poll(async () => (await t.call('scorers.list')).scorers.every((s: { jobId: unknown }) => !s.jobId), {
      timeout: 120_000,
      interval: 200,
    })
    .toBe(true);

describe('Train view: your own preference model (browser mode)', () => {
  it('trains a scorer, loads it live, and queues the comparisons to label next', async () => {
    // Start from a scorer the user already loaded for live readouts: it fills kind, checkpoint and vocabulary.
    await t.call('scorers.load', { kind: 'hps-v1', path: fixture('hps_v1_tiny.pt'), vocab: VOCAB });
    await scoringDone();
    await page.goto(`${t.url}#/train`);
    const section = page.getByRole('region', { name: 'Scorer fine-tuning' });
    await section.getByRole('combobox', { name: 'Start from a loaded scorer' }).selectOption('hps_v1_tiny');
    expect(await section.getByRole('combobox', { name: 'Base scorer kind' }).inputValue()).toBe('hps-v1');
    expect(await section.getByRole('textbox', { name: 'Base scorer checkpoint' }).inputValue()).toBe(
      fixture('hps_v1_tiny.pt'),
    );
    expect(await section.getByRole('textbox', { name: 'Scorer vocabulary' }).inputValue()).toBe(VOCAB);
    await section.getByRole('spinbutton', { name: 'Scorer steps' }).fill('25');
    await section.getByRole('spinbutton', { name: 'Scorer learning rate' }).fill('0.001');
    await section.getByRole('button', { name: 'Train scorer' }).click();

    const table = section.getByRole('table', { name: 'Held-out accuracy' });
    await table.waitFor({ timeout: 240_000 });
    expect(await table.getByRole('row').count()).toBe(4); // header, before, fine-tuned, the loaded base
    expect(await table.getByRole('row', { name: /fine-tuned/ }).textContent()).toMatch(/\d+\.\d% \[/);

    await section.getByRole('button', { name: 'Load for live readouts' }).click();
    await section
      .getByRole('status')
      .filter({ hasText: /Loaded as .+: scoring the library/ })
      .waitFor();
    await scoringDone();

    // Uncertainty of the trained scorer → Compare's queue.
    const panel = section.getByRole('group', { name: 'Label next' });
    await panel.getByRole('button', { name: 'Find comparisons to label' }).click();
    const list = panel.getByRole('list', { name: 'Comparisons to label next' });
    await list.getByRole('listitem').nth(2).waitFor({ timeout: 120_000 });
    expect(await list.getByRole('listitem').count()).toBe(3);
    await panel.getByRole('button', { name: 'Send to Compare queue' }).click();
    const queue = panel.getByRole('status', { name: 'Compare queue' });
    await queue.filter({ hasText: 'Compare queue: 3 comparisons by uncertainty' }).waitFor();
    expect((await t.call('labeling.queue')).source).toBe('uncertainty');
    // The README's screenshot, refreshed on request so ordinary runs leave the tree clean.
    if (process.env.UPDATE_SCREENSHOTS === '1' || !existsSync(SCREENSHOT)) {
      await page.setViewportSize({ width: 1280, height: 1500 });
      await section.screenshot({ path: SCREENSHOT });
    }

    // Disagreement between the trained scorer and its base, from their stored scores.
    await page.reload();
    await panel.getByRole('combobox', { name: 'Label next by' }).selectOption('disagreement');
    const picks = panel.getByRole('group', { name: 'Scorers to compare' }).getByRole('checkbox');
    await picks.nth(1).waitFor();
    expect(await picks.count()).toBe(2);
    await picks.nth(0).check();
    await picks.nth(1).check();
    await panel.getByRole('button', { name: 'Find comparisons to label' }).click();
    await list.getByRole('listitem').nth(2).waitFor();
    expect(await list.textContent()).toContain('disagreement');
    await panel.getByRole('button', { name: 'Send to Compare queue' }).click();
    await queue.filter({ hasText: 'by disagreement' }).waitFor();
    const unlabeled = await t.app.library.listComparisons({ state: 'unlabeled' });
    expect((await t.call('labeling.queue')).size).toBe(unlabeled.length);

    await panel.getByRole('button', { name: 'Clear queue' }).click();
    await queue.filter({ hasText: 'Compare queue: none' }).waitFor();
    expect(await t.call('labeling.queue')).toBeNull();

    // Evaluate: the fine-tuned scorer's held-out table next to the others, and its full-library row flagged.
    await page.goto(`${t.url}#/evaluate`);
    const heldOut = page.getByRole('table', { name: /^Held-out accuracy of / });
    await heldOut.waitFor();
    expect(await heldOut.getByRole('row').count()).toBe(4); // header, before, after, the base's stored scores
    expect(await heldOut.getByRole('row', { name: /fine-tuned\)/ }).textContent()).toMatch(/\d+\.\d% \(/);
    await page.getByRole('table', { name: 'Metric accuracy' }).getByText('trained on these labels').waitFor();
    expect(errors).toEqual([]);
  }, 400_000);
});
