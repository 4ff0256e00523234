#!/usr/bin/env node
// Bundles the desktop app into dist-electron/ (or --outdir <dir>):
//   main.cjs, preload.cjs (sandboxed, so self-contained) and host.cjs (the engine host's utility-process entry);
//   engine/: the API (api.mjs) and every worker thread's code, one ESM entry each plus shared chunks, so the
//   packaged app runs main/ without tsx (whose esbuild binary cannot be spawned from inside app.asar).
// Packages with native code stay external and load from node_modules. engine/ sits two folders below the
// app root on purpose: main/ finds package.json as '../../package.json' from its own import.meta.url.
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { register } from 'tsx/esm/api';

const root = new URL('..', import.meta.url).pathname;
const { values } = parseArgs({ options: { outdir: { type: 'string', default: 'dist-electron' } } });
const outdir = resolve(root, values.outdir);
register();
const { CALL_NAMES, EVENT_NAMES } = await import('../main/contract/index.ts');

/** Each worker module's bundle entry name (workerModule's first argument in main/) and its source. */
const WORKER_ENTRIES = {
  'runtime-worker': 'main/engine/runtime/worker-main.ts',
  'task-worker': 'main/app/tasks/task-entry.mjs',
  'generate-task': 'main/app/tasks/generate-task.ts',
  'training-task': 'main/app/tasks/training-task.ts',
  'scorer-task': 'main/app/tasks/scorer-task.ts',
};
/** Native addons (and Electron itself) load at run time; tsx is only reached from sources, never in the bundle. */
const EXTERNAL = ['electron', 'onnxruntime-node', 'sharp', 'better-sqlite3', 'tsx', 'tsx/*'];

function sourceFiles(dir) {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : /\.(ts|mjs)$/.test(e.name) ? [join(dir, e.name)] : [],
  );
}

/** A worker started from sources but missing from the bundle would only fail in the packaged app: refuse here. */
function checkWorkerEntries() {
  const problems = [];
  for (const file of sourceFiles('main')) {
    const text = readFileSync(join(root, file), 'utf8');
    if (file !== 'main/engine/runtime/worker-module.ts')
      for (const [, name] of text.matchAll(/workerModule\(\s*'([^']+)'/g))
        if (!(name in WORKER_ENTRIES)) problems.push(`${file}: workerModule('${name}') has no bundle entry`);
    if (text.includes('new Worker(') && !text.includes('workerModule('))
      problems.push(`${file}: starts a Worker without workerModule(...)`);
  }
  if (problems.length > 0) throw new Error(`worker entries out of date:\n  ${problems.join('\n  ')}`);
}

const common = {
  absWorkingDir: root,
  bundle: true,
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  logLevel: 'warning',
  external: EXTERNAL,
};

checkWorkerEntries();
rmSync(join(outdir, 'engine'), { recursive: true, force: true });
const [, , , engine] = await Promise.all([
  build({ ...common, format: 'cjs', entryPoints: ['electron/main.ts'], outfile: `${outdir}/main.cjs` }),
  build({
    ...common,
    format: 'cjs',
    entryPoints: ['electron/preload.ts'],
    outfile: `${outdir}/preload.cjs`,
    target: 'chrome140',
    define: {
      __HPS_CALL_NAMES__: JSON.stringify(CALL_NAMES),
      __HPS_EVENT_NAMES__: JSON.stringify(EVENT_NAMES),
    },
  }),
  build({ ...common, format: 'cjs', entryPoints: ['electron/host.ts'], outfile: `${outdir}/host.cjs` }),
  build({
    ...common,
    format: 'esm',
    splitting: true,
    entryPoints: { api: 'main/api/index.ts', ...WORKER_ENTRIES },
    outdir: `${outdir}/engine`,
    outExtension: { '.js': '.mjs' },
    chunkNames: 'chunk-[hash]',
    metafile: true,
    define: { __HPS_BUNDLED__: 'true' },
    // Bundled CommonJS dependencies (yauzl, csv-*) still call require() for Node built-ins.
    banner: {
      js: "import { createRequire as __hpsCreateRequire } from 'node:module'; const require = __hpsCreateRequire(import.meta.url);",
    },
  }),
]);

const outputs = Object.entries(engine.metafile.outputs).filter(([file]) => file.endsWith('.mjs'));
const total = outputs.reduce((sum, [, output]) => sum + output.bytes, 0);
console.log(
  `built ${relative(root, outdir)}/{main,preload,host}.cjs (${CALL_NAMES.length} calls, ${EVENT_NAMES.length} events) and ` +
    `${relative(root, join(outdir, 'engine'))}/ (${outputs.length} files, ${(total / 1e6).toFixed(2)} MB: ` +
    `api and ${Object.keys(WORKER_ENTRIES).length} worker entries)`,
);
