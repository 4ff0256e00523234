// Where a worker thread's code lives. From sources (serve, the CLI, tests) it is the file next to the caller:
// a .mjs shim that registers tsx, or a .ts task module a generic worker loads through it. In the desktop
// bundle (scripts/build-electron.mjs defines __HPS_BUNDLED__) each of them is an entry point of its own,
// `<entry>.mjs` beside the bundle's chunks, so no TypeScript loader (tsx, esbuild's binary) runs at all.
declare const __HPS_BUNDLED__: boolean | undefined;

const BUNDLED = typeof __HPS_BUNDLED__ === 'boolean' && __HPS_BUNDLED__;

/**
 * The module a worker thread runs, or a task module a generic worker imports: `source` resolved against
 * `callerUrl` (the caller's import.meta.url) from sources, the bundle entry named `entry` in the bundle.
 * build-electron.mjs lists every entry name used here and refuses to build when one is missing.
 */
export function workerModule(entry: string, source: string, callerUrl: string): URL {
  return BUNDLED ? new URL(`./${entry}.mjs`, import.meta.url) : new URL(source, callerUrl);
}
