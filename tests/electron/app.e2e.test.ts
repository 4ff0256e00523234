// The desktop app end to end with Playwright's Electron driver. Runs only where an Electron binary exists;
// elsewhere (ELECTRON_SKIP_BINARY_DOWNLOAD=1, as in CI) every test is reported as skipped, never as passed.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { _electron, type ElectronApplication, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findElectronBinary } from '../../scripts/electron-binary.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const electronPath = findElectronBinary(root);
const PNG_1X1 = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);

describe.skipIf(!electronPath)('desktop app (Electron)', () => {
  let app: ElectronApplication;
  let page: Page;
  let base: string;
  let library: string;

  beforeAll(async () => {
    for (const script of ['build:renderer', 'build:electron']) {
      if (spawnSync('npm', ['run', '--silent', script], { cwd: root, stdio: 'inherit' }).status !== 0)
        throw new Error(`${script} failed`);
    }
    base = mkdtempSync(join(tmpdir(), 'hps-electron-'));
    library = join(base, 'library');
    mkdirSync(library);
    writeFileSync(join(library, 'inside.png'), PNG_1X1);
    writeFileSync(join(base, 'outside.png'), PNG_1X1);
    app = await _electron.launch({
      executablePath: electronPath!,
      args: ['.', ...(process.platform === 'linux' ? ['--no-sandbox'] : [])],
      cwd: root,
      env: { ...process.env, HPS_LIBRARY_DIR: library },
    });
    page = await app.firstWindow();
  });

  afterAll(async () => {
    await app?.close();
    if (base) rmSync(base, { recursive: true, force: true });
  });

  it('loads the UI from app://studio with the preload bridge and no Node in the page', async () => {
    expect(page.url()).toMatch(/^app:\/\/studio\//);
    await page.getByRole('heading', { level: 1, name: 'Library' }).waitFor();
    const globals = await page.evaluate(() => ({
      calls: Object.keys(window.hps ?? {}).sort(),
      require: typeof (window as unknown as { require?: unknown }).require,
      process: typeof (window as unknown as { process?: unknown }).process,
    }));
    expect(globals.calls).toEqual(
      expect.arrayContaining(['system.info', 'system.doctor', 'jobs.list', 'jobs.cancel', 'on']),
    );
    expect(globals.require).toBe('undefined');
    expect(globals.process).toBe('undefined');
  });

  it('shows the doctor table through the engine host', async () => {
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.getByRole('table', { name: 'System information' }).getByText(library).waitFor();
    const rows = await page
      .getByRole('table', { name: 'Execution providers' })
      .locator('tbody tr')
      .allInnerTexts();
    expect(rows.find((r) => r.startsWith('cpu'))).toMatch(/\bok\b/);
  });

  it('refuses navigation away from the app and library paths outside the library', async () => {
    await page.evaluate(() => (location.href = 'https://example.com/'));
    await page.waitForTimeout(500);
    expect(page.url()).toMatch(/^app:\/\/studio\//);
    const load = (src: string) =>
      page.evaluate(
        (url) =>
          new Promise<string>((resolve) => {
            const img = new Image();
            img.onload = () => resolve('loaded');
            img.onerror = () => resolve('refused');
            img.src = url;
          }),
        src,
      );
    await expect(load('hps-image://library/inside.png')).resolves.toBe('loaded');
    await expect(load('hps-image://library/%2e%2e/outside.png')).resolves.toBe('refused');
  });
});
