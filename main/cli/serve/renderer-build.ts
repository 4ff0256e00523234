// The built UI that `serve` hands to browsers. `npm install` builds it (the `prepare` script); a checkout whose
// dist/renderer/ is missing or was deleted is built once on the first `serve`, where Vite is installed. The
// build goes to a temporary folder renamed into place, so two processes starting at once never serve a
// half-written build.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { APP_ROOT } from '../../common/app-version';

export const RENDERER_DIR = fileURLToPath(new URL('dist/renderer/', APP_ROOT));
const VITE_CONFIG = fileURLToPath(new URL('renderer/vite.config.ts', APP_ROOT));

function viteBin(): string | null {
  try {
    const pkg = createRequire(import.meta.url).resolve('vite/package.json');
    return path.join(path.dirname(pkg), 'bin/vite.js');
  } catch {
    return null;
  }
}

export type RendererState = { ready: true; built: boolean } | { ready: false; reason: string };

/** Makes sure `outDir` holds the built UI, building it with Vite when it does not. */
export function ensureRendererBuilt(
  outDir = RENDERER_DIR,
  log: (line: string) => void = console.log,
): RendererState {
  if (existsSync(path.join(outDir, 'index.html'))) return { ready: true, built: false };
  const vite = viteBin();
  if (!vite || !existsSync(VITE_CONFIG))
    return { ready: false, reason: 'the UI is not built and Vite is not installed here to build it' };
  log(`Building the UI once into ${outDir} …`);
  mkdirSync(path.dirname(outDir), { recursive: true });
  const staging = mkdtempSync(path.join(path.dirname(outDir), '.renderer-'));
  const r = spawnSync(
    process.execPath,
    [vite, 'build', '--config', VITE_CONFIG, '--outDir', staging, '--emptyOutDir', '--logLevel', 'warn'],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );
  if (r.status !== 0 || !existsSync(path.join(staging, 'index.html'))) {
    rmSync(staging, { recursive: true, force: true });
    return { ready: false, reason: `building the UI failed (vite exited with ${r.status ?? r.signal})` };
  }
  try {
    renameSync(staging, outDir);
  } catch {
    rmSync(staging, { recursive: true, force: true }); // another process put its build in place first
  }
  return { ready: true, built: true };
}
