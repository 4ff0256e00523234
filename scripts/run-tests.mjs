#!/usr/bin/env node
// `npm test`: runs every suite through Vitest (unit, parity, engine, e2e) and ends with one line
// "N passed, N failed, N skipped" totalling them all. Skipped tests (e.g. the Electron e2e without an
// Electron binary) are reported as skipped, never as passed.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const reportDir = join(root, '.cache');
mkdirSync(reportDir, { recursive: true });
const report = join(reportDir, 'vitest-report.json');

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: process.env });
  return r.status ?? 1;
}

if (existsSync(join(root, 'renderer/vite.config.ts'))) {
  if (run('npx', ['vite', 'build', '--config', 'renderer/vite.config.ts', '--logLevel', 'warn']) !== 0) {
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
}

const extra = process.argv.slice(2);
const status = run('npx', ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...extra]);

let passed = 0;
let failed = 0;
let skipped = 0;
if (existsSync(report)) {
  const r = JSON.parse(readFileSync(report, 'utf8'));
  passed = r.numPassedTests ?? 0;
  failed = (r.numFailedTests ?? 0) + (r.numFailedTestSuites ?? 0);
  skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
} else {
  failed = 1;
}
if (status !== 0 && failed === 0) failed = 1;
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 ? 1 : 0);
