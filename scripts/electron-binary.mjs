// Finds the Electron executable without `require('electron')`, which (since Electron 45) tries to download
// the binary when it is missing. Returns null when there is no binary on disk.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export function findElectronBinary(root = new URL('..', import.meta.url).pathname) {
  const pkg = join(root, 'node_modules/electron');
  const pathFile = join(pkg, 'path.txt');
  const executable = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : '';
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH;
  const candidate = override
    ? join(override, executable || 'electron')
    : executable
      ? join(pkg, 'dist', executable)
      : null;
  return candidate && existsSync(candidate) ? candidate : null;
}
