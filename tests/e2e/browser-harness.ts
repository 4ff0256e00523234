// What every browser test needs: the built renderer and Debian's Chromium. `npm test` builds the renderer
// once before the suites; a test run on its own builds it here if it is missing, as `serve` does.
import { type Browser, chromium } from 'playwright-core';
import { RENDERER_DIR, ensureRendererBuilt as buildOnce } from '../../main/cli/serve/renderer-build';

/** Returns the folder of the built renderer, building it if missing. */
export function ensureRendererBuilt(): string {
  const state = buildOnce();
  if (!state.ready) throw new Error(state.reason);
  return RENDERER_DIR;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}
