/// <reference types="electron" />
// Engine host: runs in an Electron utilityProcess (plain Node, off the window's main thread) and serves the
// API handlers from main/ over process.parentPort. In a checkout (`npm start`) main/ is loaded from its
// TypeScript sources through tsx, exactly as in `hps-studio serve`; the packaged app ships no sources, only
// the bundle scripts/build-electron.mjs writes beside this file (engine/api.mjs and its worker entries), which
// runs on plain Node: tsx needs esbuild's binary, and that cannot be spawned from inside app.asar.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as ApiModule from '../main/api';
import { HOST_ENV, type HostToMain, type MainToHost } from './host-protocol';

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`engine host started without ${name}`);
  return value;
}

async function loadApi(appRoot: string): Promise<typeof ApiModule> {
  const sources = join(appRoot, 'main/api/index.ts');
  if (!existsSync(sources)) return import(pathToFileURL(join(__dirname, 'engine/api.mjs')).href);
  const { register } = await import('tsx/esm/api');
  register();
  return import(pathToFileURL(sources).href);
}

async function start(): Promise<void> {
  const { createApi, createApp, OWNER, toApiError } = await loadApi(env(HOST_ENV.appRoot));
  const api = createApi(
    await createApp({
      libraryDir: env(HOST_ENV.libraryDir),
      dataDir: env(HOST_ENV.dataDir),
      info: {
        version: env(HOST_ENV.appVersion),
        mode: 'desktop',
        electron: process.versions.electron ?? null,
      },
    }),
  );
  // Quitting stops this process with SIGTERM (host-bridge stop()): cancel the jobs, close the scorers'
  // sessions, the workers and the library first.
  process.once('SIGTERM', () => void api.app.close().finally(() => process.exit(0)));
  const port = process.parentPort;
  const send = (message: HostToMain) => port.postMessage(message);
  api.app.events.subscribe((message) => send({ type: 'event', message }));
  port.on('message', async ({ data }: { data: MainToHost }) => {
    if (data?.type !== 'call') return;
    try {
      // The desktop user is the owner; the main process already checked the calling frame.
      const output = await api.call(data.name, data.input, OWNER);
      send({ type: 'result', id: data.id, result: { ok: true, output } });
    } catch (err) {
      const e = toApiError(err);
      send({
        type: 'result',
        id: data.id,
        result: { ok: false, error: { code: e.code, message: e.message } },
      });
    }
  });
  send({ type: 'ready' });
}

start().catch((err: unknown) => {
  console.error('engine host failed to start:', err);
  process.exit(1);
});
