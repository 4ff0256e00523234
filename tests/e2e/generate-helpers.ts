// Browser tests of the Generate and Train views: the API served with the built renderer on a fresh library,
// and a Chromium page on it that records console and page errors.
import { rm } from 'node:fs/promises';
import type { Browser, Page } from 'playwright-core';
import { startTestApi, type TestApi } from '../api/generate-helpers';
import { ensureRendererBuilt, launchChromium } from './browser-harness';

export async function openBrowser(): Promise<{ browser: Browser; page: Page; errors: string[] }> {
  const browser = await launchChromium();
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, colorScheme: 'light' });
  const errors: string[] = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  page.on('pageerror', (e) => errors.push(e.message));
  return { browser, page, errors };
}

export interface ServedPage {
  t: TestApi;
  page: Page;
  errors: string[];
  close(): Promise<void>;
}

/** `serve` on a temporary library (filled by `seed`) with the built renderer, and a browser page. */
export async function servedPage(prefix: string, seed?: (dir: string) => Promise<void>): Promise<ServedPage> {
  const t = await startTestApi(prefix, seed, ensureRendererBuilt());
  const { browser, page, errors } = await openBrowser();
  return {
    t,
    page,
    errors,
    async close() {
      await browser.close();
      await t.server.close();
      await rm(t.base, { recursive: true, force: true });
    },
  };
}
