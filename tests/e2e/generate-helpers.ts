// Browser tests of the Generate and Train views: a Chromium page that records console and page errors.
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from './browser-harness';

export async function openBrowser(): Promise<{ browser: Browser; page: Page; errors: string[] }> {
  const browser = await launchChromium();
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, colorScheme: 'light' });
  const errors: string[] = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  page.on('pageerror', (e) => errors.push(e.message));
  return { browser, page, errors };
}
