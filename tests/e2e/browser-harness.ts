// What every browser test needs: the built renderer and Debian's Chromium. `npm test` builds the renderer
// once before the suites; a test run on its own builds it here if it is missing (into a temporary folder,
// renamed into place, so two test files starting at once never serve a half-written build).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';

const ROOT = new URL('../..', import.meta.url).pathname;
export const RENDERER_DIR = join(ROOT, 'dist/renderer');

/** Returns the folder of the built renderer, building it if missing. */
export function ensureRendererBuilt(): string {
  if (existsSync(join(RENDERER_DIR, 'index.html'))) return RENDERER_DIR;
  mkdirSync(join(ROOT, 'dist'), { recursive: true });
  const staging = mkdtempSync(join(ROOT, 'dist/.renderer-'));
  const build = spawnSync(
    'npx',
    [
      'vite',
      'build',
      '--config',
      'renderer/vite.config.ts',
      '--outDir',
      staging,
      '--emptyOutDir',
      '--logLevel',
      'warn',
    ],
    { cwd: ROOT, stdio: 'inherit' },
  );
  if (build.status !== 0) throw new Error('renderer build failed');
  try {
    renameSync(staging, RENDERER_DIR);
  } catch {
    rmSync(staging, { recursive: true, force: true }); // another test file finished its build first
  }
  return RENDERER_DIR;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}
