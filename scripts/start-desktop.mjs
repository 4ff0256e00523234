#!/usr/bin/env node
// `npm start`: builds the renderer and the Electron shell, then launches the desktop app. Without an Electron
// binary (download skipped or blocked) it says so in one sentence and points to browser mode.
import { spawnSync } from 'node:child_process';
import { findElectronBinary } from './electron-binary.mjs';
import { electronSqliteBinding } from './electron-sqlite.mjs';

const root = new URL('..', import.meta.url).pathname;
const electron = findElectronBinary(root);
if (!electron) {
  console.error(
    'The Electron binary is missing (its download was skipped or blocked), so the desktop app cannot start; ' +
      'run the studio in your browser instead with: npx hps-studio serve --library <dir>',
  );
  process.exit(1);
}

let sqliteBinding;
try {
  sqliteBinding = electronSqliteBinding(root);
} catch (err) {
  console.error(`${err.message}; the desktop app needs it for the library database.`);
  process.exit(1);
}
const env = { ...process.env, HPS_SQLITE_BINDING: sqliteBinding };
const run = (cmd, args) => spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env }).status ?? 1;
for (const script of ['build:renderer', 'build:electron']) {
  if (run('npm', ['run', '--silent', script]) !== 0) {
    console.error(`npm run ${script} failed; see the output above.`);
    process.exit(1);
  }
}
process.exit(run(electron, ['.', ...process.argv.slice(2)]));
