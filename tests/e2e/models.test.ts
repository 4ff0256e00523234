// The Models view end to end: `hps-studio serve` with temporary library and data folders, driven by Chromium.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureRendererBuilt, launchChromium } from './browser-harness';
import { bundledCatalog } from '../../main/services/model-store';

const root = fileURLToPath(new URL('../../', import.meta.url));
const fixtures = fileURLToPath(new URL('../../../shared/fixtures/', import.meta.url));

let server: ChildProcess;
let browser: Browser;
let page: Page;
let url: string;
let scratch: string;
const consoleErrors: string[] = [];

function startServe(library: string, data: string): Promise<string> {
  server = spawn(
    process.execPath,
    [join(root, 'bin/hps-studio.mjs'), 'serve', '--library', library, '--data', data, '--port', '0'],
    { cwd: root },
  );
  return new Promise((resolve, reject) => {
    let out = '';
    server.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /Open (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
      if (m) resolve(m[1]!);
    });
    server.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    server.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${out}`)));
  });
}

beforeAll(async () => {
  ensureRendererBuilt();
  scratch = mkdtempSync(join(tmpdir(), 'hps-e2e-models-'));
  url = await startServe(join(scratch, 'library'), join(scratch, 'data'));
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 }, colorScheme: 'light' });
  page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
  page.on('pageerror', (e) => consoleErrors.push(e.message));
}, 120_000);

afterAll(async () => {
  await browser?.close();
  server?.kill('SIGTERM');
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

async function detect(path: string): Promise<void> {
  const input = page.getByRole('textbox', { name: 'Checkpoint path' });
  await input.fill(path);
  await page.getByRole('button', { name: 'Detect' }).click();
}

describe('Models view (hps-studio serve)', () => {
  it('lists every catalog model with its size, state and EP, and the disk summary', async () => {
    await page.goto(`${url}#/models`);
    await page.getByRole('heading', { level: 1, name: 'Models' }).waitFor();
    const table = page.getByRole('table', { name: 'Model catalog' });
    await table.waitFor({ timeout: 60_000 });
    const rows = await table.locator('tbody tr').allInnerTexts();
    const catalog = bundledCatalog().models;
    expect(rows).toHaveLength(catalog.length);
    for (const [i, model] of catalog.entries()) {
      expect(rows[i]).toContain(model.name);
      expect(rows[i]).toContain('Not downloaded');
    }
    // cpu works everywhere, so every model that runs a graph names an EP.
    expect(rows.find((r) => r.includes('HPS v2.1'))).toMatch(/\b(cpu|webgpu|cuda|dml|coreml)\b/);
    await page.getByText('No models installed').waitFor();
    await expect(page.getByRole('button', { name: /^Download / }).count()).resolves.toBe(catalog.length);
  });

  it('shows the detected architecture of a fixture checkpoint', async () => {
    await detect(join(fixtures, 'clip/hps_v1_tiny.pt'));
    const card = page.getByLabel('Detected architecture');
    await card.waitFor();
    await expect(card.locator('.detected-label').textContent()).resolves.toMatch(
      /^OpenAI CLIP \(HPS v1 layout\)/,
    );
    await expect(card.textContent()).resolves.toMatch(/visionWidth\s*128/);
    // HPS v1's catalog entry is the one model with the same layout, so it is offered as the target.
    await expect(page.getByRole('combobox').first().inputValue()).resolves.toBe('hps-v1');
  });

  it('says clearly when a file is not a supported checkpoint', async () => {
    await detect(join(fixtures, 'clip/img_rgb.jpg'));
    const alert = page.locator('.unsupported');
    await alert.waitFor();
    await expect(alert.textContent()).resolves.toMatch(
      /img_rgb\.jpg is not a supported checkpoint: unrecognised checkpoint format/,
    );
  });

  it('imports a LoRA as a local model, then deletes it after confirmation', async () => {
    await detect(join(fixtures, 'sd/lora-tiny-kohya.safetensors'));
    await page.getByLabel('Detected architecture').getByText('LoRA (kohya format, rank 4)').waitFor();
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    const local = page.getByRole('table', { name: 'Local models' });
    await local.waitFor();
    await expect(local.locator('tbody tr').allInnerTexts()).resolves.toEqual([
      expect.stringContaining('lora-tiny-kohya.safetensors'),
    ]);
    await page.getByText('1 installed').waitFor();
    await page.getByRole('button', { name: 'Remove lora-tiny-kohya.safetensors' }).click();
    const dialog = page.getByRole('alertdialog');
    await dialog.getByRole('button', { name: 'Delete' }).click();
    await local.waitFor({ state: 'detached' });
    await page.getByText('No models installed').waitFor();
  });

  it('ran without console errors', () => {
    expect(consoleErrors).toEqual([]);
  });
});
