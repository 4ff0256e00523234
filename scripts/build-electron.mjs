#!/usr/bin/env node
// Bundles the Electron shell (electron/) into dist-electron/: main.cjs, preload.cjs (sandboxed, so it must
// be self-contained) and host.cjs (the utility-process entry, which loads main/ from source through tsx).
import { build } from 'esbuild';
import { register } from 'tsx/esm/api';

const root = new URL('..', import.meta.url).pathname;
register();
const { CALL_NAMES, EVENT_NAMES } = await import('../main/api/contract.ts');

const common = {
  absWorkingDir: root,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node22',
  sourcemap: true,
  logLevel: 'warning',
  external: ['electron', 'tsx', 'tsx/*'],
};

await Promise.all([
  build({ ...common, entryPoints: ['electron/main.ts'], outfile: 'dist-electron/main.cjs' }),
  build({
    ...common,
    entryPoints: ['electron/preload.ts'],
    outfile: 'dist-electron/preload.cjs',
    target: 'chrome140',
    define: {
      __HPS_CALL_NAMES__: JSON.stringify(CALL_NAMES),
      __HPS_EVENT_NAMES__: JSON.stringify(EVENT_NAMES),
    },
  }),
  build({ ...common, entryPoints: ['electron/host.ts'], outfile: 'dist-electron/host.cjs' }),
]);
console.log(
  `built dist-electron/{main,preload,host}.cjs (${CALL_NAMES.length} calls, ${EVENT_NAMES.length} events)`,
);
