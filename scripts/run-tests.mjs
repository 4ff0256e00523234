#!/usr/bin/env node
// `npm test`: runs every suite through Vitest (unit, parity, engine, e2e) and ends with one line
// "N passed, N failed, N skipped" totalling them all. Skipped tests (e.g. the Electron e2e without an
// Electron binary) are reported as skipped, never as passed. Before the summary, tests/margin-reporter.ts prints
// the parity checks and tests closest to their tolerance or timeout.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ensureTestPrerequisites } from './test-prerequisites.mjs';

const root = new URL('..', import.meta.url).pathname;
const reportDir = join(root, '.cache');
mkdirSync(reportDir, { recursive: true });
const report = join(reportDir, 'vitest-report.json');
const parityLog = join(reportDir, 'parity-margins.jsonl');
rmSync(report, { force: true });
rmSync(parityLog, { force: true });

// npm hands the project's .npmrc settings to scripts as npm_config_*; a nested npx would warn about
// onnxruntime-node's one again.
const env = { ...process.env, HPS_PARITY_LOG: parityLog };
delete env.npm_config_onnxruntime_node_install;

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env });
  return r.status ?? 1;
}

const missing = ensureTestPrerequisites(root);
if (missing) {
  console.error(missing);
  console.log('0 passed, 1 failed, 0 skipped');
  process.exit(1);
}

if (existsSync(join(root, 'renderer/vite.config.ts'))) {
  if (run('npx', ['vite', 'build', '--config', 'renderer/vite.config.ts', '--logLevel', 'warn']) !== 0) {
    console.log('0 passed, 1 failed, 0 skipped');
    process.exit(1);
  }
}

const extra = process.argv.slice(2);
const status = run('npx', [
  'vitest',
  'run',
  '--reporter=default',
  '--reporter=json',
  '--reporter=./tests/margin-reporter.ts',
  `--outputFile.json=${report}`,
  ...extra,
]);

// A missing report means vitest itself failed before running anything: count that as one failure.
const r = existsSync(report) ? JSON.parse(readFileSync(report, 'utf8')) : { numFailedTests: 1 };
const passed = r.numPassedTests ?? 0;
// A file that failed without a failing test (import error, failing beforeAll) counts as one failure;
// numFailedTestSuites would count describe blocks holding failed tests a second time.
const brokenFiles = (r.testResults ?? []).filter(
  (file) => file.status === 'failed' && !file.assertionResults?.some((a) => a.status === 'failed'),
).length;
let failed = (r.numFailedTests ?? 0) + brokenFiles;
const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
if (status !== 0 && failed === 0) failed = 1;
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 ? 1 : 0);
