// Browser mode end to end: `hps-studio serve` on an empty temp library, driven by Debian's Chromium.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureRendererBuilt, launchChromium } from './browser-harness';
import { CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY_HEADER } from '../../main/common/csp';

const root = fileURLToPath(new URL('../../', import.meta.url));
const SCREENSHOT = join(root, 'assets/screenshots/browser-mode.png');

let server: ChildProcess;
let browser: Browser;
let page: Page;
let url: string;
let library: string;
const consoleErrors: string[] = [];

function startServe(libraryDir: string): Promise<string> {
  server = spawn(
    process.execPath,
    [join(root, 'bin/hps-studio.mjs'), 'serve', '--library', libraryDir, '--port', '0'],
    { cwd: root },
  );
  return new Promise((resolve, reject) => {
    let out = '';
    server.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /Open (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
      if (m) resolve(m[1]!);
    });
    server.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${out}`)));
  });
}

beforeAll(async () => {
  ensureRendererBuilt();
  library = join(mkdtempSync(join(tmpdir(), 'hps-e2e-')), 'library');
  url = await startServe(library);
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 800 }, colorScheme: 'light' });
  page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
  page.on('pageerror', (e) => consoleErrors.push(e.message));
});

afterAll(async () => {
  await browser?.close();
  server?.kill('SIGTERM');
  if (library) rmSync(join(library, '..'), { recursive: true, force: true });
});

describe('browser mode (hps-studio serve)', () => {
  it('loads the app shell with every view in the navigation', async () => {
    await page.goto(url);
    await expect(page.title()).resolves.toBe('HPS Studio');
    const nav = page.getByRole('navigation', { name: 'Main' });
    for (const label of ['Library', 'Compare', 'Generate', 'Train', 'Evaluate', 'Models', 'Settings']) {
      await expect(nav.getByRole('link', { name: label }).count()).resolves.toBe(1);
    }
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Library');
    await page.getByText('Import images to start').waitFor();
  });

  it('navigates between views by the sidebar and by URL', async () => {
    for (const [label, empty] of [
      ['Compare', 'No pairs to compare yet'],
      ['Generate', 'Choose a model or give its path.'],
      ['Train', 'No training runs yet.'],
      ['Evaluate', 'No scores yet'],
      ['Models', 'No models installed'],
    ] as const) {
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: label }).click();
      await page.getByRole('heading', { level: 1, name: label }).waitFor();
      await page.getByText(empty).waitFor();
      expect(new URL(page.url()).hash).toBe(`#/${label.toLowerCase()}`);
    }
    await page.goto(`${url}#/library`);
    await page.getByRole('heading', { level: 1, name: 'Library' }).waitFor();
  });

  it('shows system info and the doctor table with cpu and webgpu ok on Settings', async () => {
    await page.getByRole('link', { name: 'Settings' }).click();
    const info = page.getByRole('table', { name: 'System information' });
    await info.getByText(library).waitFor();
    const doctor = page.getByRole('table', { name: 'Execution providers' });
    await doctor.waitFor({ timeout: 60_000 });
    const rows = await doctor.locator('tbody tr').allInnerTexts();
    expect(rows).toHaveLength(5);
    expect(rows.find((r) => r.startsWith('cpu'))).toMatch(/\bok\b/);
    expect(rows.find((r) => r.startsWith('webgpu'))).toMatch(/\bok\b/);
    expect(rows.find((r) => r.startsWith('coreml'))).toMatch(/unavailable/);
    await expect(page.getByText('No jobs yet').count()).resolves.toBe(1);
  });

  it('serves the page with the one CSP, as a header and as the <meta> tag', async () => {
    const res = await fetch(url);
    expect(res.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY_HEADER);
    const meta = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
    expect(meta).toBe(CONTENT_SECURITY_POLICY);
  });

  it('lets the page open the /api/events WebSocket (same origin passes the guard and the CSP)', async () => {
    const state = await page.evaluate(
      () =>
        new Promise<string>((resolve) => {
          const ws = new WebSocket(new URL('api/events', location.href.replace(/^http/, 'ws')));
          ws.onopen = () => {
            ws.close();
            resolve('open');
          };
          ws.onerror = () => resolve('error');
        }),
    );
    expect(state).toBe('open');
  });

  it('saves a screenshot of the Settings page (the README screenshot)', async () => {
    mkdirSync(join(root, 'test-results'), { recursive: true });
    const shot = await page.screenshot({ path: join(root, 'test-results/browser-mode.png') });
    expect(shot.byteLength).toBeGreaterThan(10_000);
    // The committed README screenshot is refreshed on request, so ordinary test runs leave the tree clean.
    if (process.env.UPDATE_SCREENSHOTS === '1' || !existsSync(SCREENSHOT))
      await page.screenshot({ path: SCREENSHOT });
  });

  it('ran without console errors or CSP violations', () => {
    expect(consoleErrors).toEqual([]);
  });
});
