/// <reference types="electron" />
// Engine host: runs in an Electron utilityProcess (plain Node, off the window's main thread) and serves the
// API handlers from main/ over process.parentPort. main/ is loaded from its TypeScript sources through tsx,
// exactly as in `hps-studio serve`, so import.meta.url and worker-thread jobs behave the same everywhere.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as ApiModule from '../main/api';
import { HOST_ENV, type HostToMain, type MainToHost } from './host-protocol';

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`engine host started without ${name}`);
  return value;
}

async function start(): Promise<void> {
  const appRoot = env(HOST_ENV.appRoot);
  const { register } = await import('tsx/esm/api');
  register();
  const { createApi, createApiServices, OWNER, toApiError }: typeof ApiModule = await import(
    pathToFileURL(join(appRoot, 'main/api/index.ts')).href
  );
  const api = createApi(
    createApiServices({
      libraryDir: env(HOST_ENV.libraryDir),
      dataDir: env(HOST_ENV.dataDir),
      app: {
        version: env(HOST_ENV.appVersion),
        mode: 'desktop',
        electron: process.versions.electron ?? null,
      },
    }),
  );
  const port = process.parentPort;
  const send = (message: HostToMain) => port.postMessage(message);
  api.services.events.subscribe((message) => send({ type: 'event', message }));
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
