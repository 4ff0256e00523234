#!/usr/bin/env node
// `npm start`: the desktop app where Electron can run, else the same studio in the browser.
// Electron (since 45) downloads its binary on first use, not at install, so a blocked download never fails
// `npm install`: it is tried here once (ELECTRON_SKIP_BINARY_DOWNLOAD=1 skips it). Without a binary, or
// without the library database built for Electron, it serves the default library in browser mode, prints the
// URL and opens it where there is a display (`hps-studio serve --open`).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { findElectronBinary } from './electron-binary.mjs';
import { electronSqliteBinding } from './electron-sqlite.mjs';

const root = new URL('..', import.meta.url).pathname;
const DOWNLOAD_TIMEOUT_MS = 10 * 60_000;

/** Downloads Electron's binary with its own installer; returns null and why when it cannot. */
function downloadElectron() {
  const installer = join(root, 'node_modules/electron/install.js');
  if (process.env.ELECTRON_SKIP_BINARY_DOWNLOAD) return { reason: 'ELECTRON_SKIP_BINARY_DOWNLOAD is set' };
  if (!existsSync(installer)) return { reason: 'the electron package is not installed' };
  console.log('Downloading the Electron binary for the desktop app (about 100 MB, once) …');
  const r = spawnSync(process.execPath, [installer], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'ignore', 'pipe'],
    timeout: DOWNLOAD_TIMEOUT_MS,
  });
  const binary = findElectronBinary(root);
  if (binary) return { binary };
  const firstLine =
    (r.stderr ?? '').split('\n').find((l) => l.trim()) ?? `exit status ${r.status ?? r.signal}`;
  return { reason: `its download failed (${firstLine.trim()})` };
}

function run(cmd, args, env) {
  return spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env }).status ?? 1;
}

/** Browser mode in the foreground; Ctrl+C reaches serve, which closes the library before exiting. */
function browserMode(reason) {
  console.error(`${reason}, so the studio runs in your browser instead (hps-studio serve).`);
  const child = spawn(process.execPath, [join(root, 'bin/hps-studio.mjs'), 'serve', '--open'], {
    cwd: root,
    stdio: 'inherit',
  });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

function desktop(electron) {
  let sqliteBinding;
  try {
    sqliteBinding = electronSqliteBinding(root);
  } catch (err) {
    return browserMode(`${err.message}; the desktop app needs it for the library database`);
  }
  const env = { ...process.env, HPS_SQLITE_BINDING: sqliteBinding };
  for (const script of ['build:renderer', 'build:electron']) {
    if (run('npm', ['run', '--silent', script], env) !== 0) {
      console.error(`npm run ${script} failed; see the output above.`);
      process.exit(1);
    }
  }
  process.exit(run(electron, ['.', ...process.argv.slice(2)], env));
}

const found = findElectronBinary(root);
const download = found ? { binary: found } : downloadElectron();
if (download.binary) desktop(download.binary);
else browserMode(`The Electron binary is missing: ${download.reason}`);
