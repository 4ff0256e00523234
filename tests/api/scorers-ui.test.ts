// The Loaded scorers panel and the near-duplicate finder in Chromium against an in-process server: load an
// imported local model from the Models view, see the EP it runs on, see its chips in Compare once blind mode
// is off, find the re-encoded copy in the Library's Duplicates tab, and retry an image it could not read.
import { writeFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApi, createApp, OWNER, type Api } from '../../main/api';
import { startServer } from '../../main/server';
import { fixture, VOCAB } from '../models/clip-fixtures';
import { ensureRendererBuilt, launchChromium } from '../e2e/browser-harness';

let base: string;
let api: Api;
let close: () => Promise<void>;
let url: string;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  base = await mkdtemp(path.join(tmpdir(), 'hps-scorers-ui-'));
  const staticDir = ensureRendererBuilt();
  const services = await createApp({
    libraryDir: path.join(base, 'library'),
    dataDir: path.join(base, 'data'),
    info: { version: 'test', mode: 'serve', electron: null },
  });
  const library = services.library;
  const image = async (bytes: Buffer | Promise<Buffer>) => (await library.addImage(await bytes)).image.id;
  const a = await image(sharp(fixture('img0_rgb_512x512.png')).jpeg({ quality: 95 }).toBuffer());
  const a2 = await image(sharp(fixture('img0_rgb_512x512.png')).jpeg({ quality: 70 }).toBuffer());
  const b = await image(readFile(fixture('img2_rgb_300x700.png')));
  await library.addComparison({ prompt: 'a red bird', imageIds: [a, b] });
  await library.addComparison({ prompt: 'a red bird, again', imageIds: [a2, b] });
  api = createApi(services);
  await api.call('models.import', { path: fixture('hps_v2_tiny.pt'), mode: 'in-place' }, OWNER);
  const server = await startServer({ api, port: 0, staticDir });
  url = server.url;
  close = () => server.app.close();
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('pageerror', (e) => pageErrors.push(e.message));
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await close?.();
  await rm(base, { recursive: true, force: true });
});

describe('scorers in the UI', () => {
  it('loads a local scorer from Models and shows its EP and precision', async () => {
    await page.goto(`${url}#/models`);
    const panel = page.getByRole('region', { name: 'Loaded scorers' });
    await panel.getByText('No scorer loaded').waitFor();
    await panel.getByLabel('Vocabulary file').fill(VOCAB);
    await panel.getByRole('button', { name: 'Load' }).click();
    await panel.getByRole('cell', { name: 'hps_v2_tiny' }).waitFor();
    await panel.getByText('cpu · fp32').waitFor();
    await expect.poll(async () => (await api.app.library.scores.list()).length).toBe(4);
  }, 60_000);

  it('shows the stored score as a chip in Compare once blind mode is off', async () => {
    await page.goto(`${url}#/compare`);
    await page.getByLabel('Blind mode').uncheck();
    const stored = (await api.app.library.scores.list()).map((s) => s.score.toFixed(2));
    const chip = page.locator('.chip', { hasText: 'hps_v2_tiny' }).first();
    await chip.waitFor();
    expect(stored).toContain((await chip.locator('b').textContent())!.trim());
  }, 30_000);

  it('finds the re-encoded copy in the Duplicates tab', async () => {
    await page.goto(`${url}#/library`);
    await page.getByRole('tab', { name: 'Duplicates' }).click();
    const near = page.getByRole('region', { name: 'Near-duplicates' });
    await near.getByLabel('Cosine threshold').fill('0.9995');
    await near.getByRole('button', { name: 'Find near-duplicates' }).click();
    await near.getByRole('button', { name: 'Select 2 comparisons' }).waitFor();
    await expect(near.locator('.near-group img').count()).resolves.toBe(2);
    expect(pageErrors).toEqual([]);
  }, 30_000);

  it('counts an image the scorer could not read and scores it on Retry once the file is good', async () => {
    const library = api.app.library;
    const { image } = await library.addImage(await readFile(fixture('img3_rgb_517x333.png')));
    const file = library.imagePath(image);
    const bytes = await readFile(file);
    writeFileSync(file, Buffer.from('half a file'));
    await library.addComparison({
      prompt: 'a castle',
      imageIds: [image.id, (await library.listImages())[0]!.id],
    });
    const { jobIds } = (await api.call('scorers.scoreLibrary', { id: 'hps_v2_tiny' }, OWNER)) as {
      jobIds: string[];
    };
    await expect.poll(() => api.app.jobs.get(jobIds[0])?.status).toBe('done');

    await page.goto(`${url}#/models`);
    const panel = page.getByRole('region', { name: 'Loaded scorers' });
    const failed = panel.getByRole('status').filter({ hasText: '1 image could not be scored' });
    await failed.waitFor();
    writeFileSync(file, bytes);
    await failed.getByRole('button', { name: 'Retry' }).click();
    await expect
      .poll(async () =>
        (await library.scores.list({ modelId: 'hps_v2_tiny' })).some((s) => s.imageId === image.id),
      )
      .toBe(true);
    await failed.waitFor({ state: 'detached' });
    expect(pageErrors).toEqual([]);
  }, 60_000);
});
