// Builds better-sqlite3 for Electron's ABI in a private folder (.cache/electron-native/<version>/), leaving the
// Node build in node_modules untouched for the CLI and the tests. Packaged apps don't need this:
// electron-builder's install-app-deps rebuilds native modules for Electron at packaging time.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export function electronSqliteBinding(root) {
  const { version } = JSON.parse(readFileSync(join(root, 'node_modules/electron/package.json'), 'utf8'));
  const dir = join(root, '.cache/electron-native', version);
  const binding = join(dir, 'better-sqlite3/build/Release/better_sqlite3.node');
  if (existsSync(binding)) return binding;

  console.error(`Building better-sqlite3 for Electron ${version} (once)…`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  cpSync(join(root, 'node_modules/better-sqlite3'), join(dir, 'better-sqlite3'), {
    recursive: true,
    filter: (src) => !src.includes(`${join('better-sqlite3', 'build')}`),
  });
  const gyp = join(root, 'node_modules/node-gyp/bin/node-gyp.js');
  const result = spawnSync(
    process.execPath,
    [gyp, 'rebuild', '--release', `--target=${version}`, '--dist-url=https://electronjs.org/headers'],
    { cwd: join(dir, 'better-sqlite3'), stdio: 'inherit' },
  );
  if (result.status !== 0 || !existsSync(binding)) {
    throw new Error(
      `could not build better-sqlite3 for Electron ${version} (node-gyp needs Electron's headers from electronjs.org)`,
    );
  }
  return binding;
}
