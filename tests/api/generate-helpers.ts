// Shared by the generate/training API tests: an in-process server on port 0 with a temporary library, typed
// calls over HTTP, and waiting for events.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import {
  createApi,
  createApiServices,
  type EventMessage,
  type EventName,
  type EventPayload,
} from '../../main/api';
import { startServer } from '../../main/server';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const tinyModel = path.resolve(repoRoot, '../shared/fixtures/sd/sd-tiny');
export const clipVocab = path.resolve(repoRoot, '../shared/fixtures/clip/bpe_simple_vocab_16e6.txt.gz');

export interface TestApi {
  base: string;
  libraryDir: string;
  url: string;
  app: FastifyInstance;
  api: ReturnType<typeof createApi>;
  events: EventMessage[];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- responses are checked field by field
  call<T = any>(name: string, input?: unknown): Promise<T>;
  next<E extends EventName>(
    event: E,
    match?: (payload: EventPayload<E>) => boolean,
  ): Promise<EventPayload<E>>;
}

export async function startTestApi(
  prefix: string,
  prepareLibrary?: (dir: string) => Promise<void>,
): Promise<TestApi> {
  const base = await mkdtemp(path.join(tmpdir(), prefix));
  const libraryDir = path.join(base, 'library');
  await prepareLibrary?.(libraryDir);
  const services = createApiServices({
    libraryDir,
    dataDir: path.join(base, 'data'),
    app: { version: '0.0.0', mode: 'serve', electron: null },
  });
  const api = createApi(services);
  const events: EventMessage[] = [];
  services.events.subscribe((message) => events.push(message));
  const { app, url } = await startServer({ api, port: 0, staticDir: path.join(base, 'no-ui') });
  const call = async (name: string, input: unknown = {}) => {
    const res = await fetch(new URL(`api/${name}`, url), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(input),
    });
    const body = await res.json();
    if (!res.ok) throw Object.assign(new Error(body.error.message), { status: res.status });
    return body;
  };
  const next = <E extends EventName>(event: E, match: (payload: EventPayload<E>) => boolean = () => true) =>
    new Promise<EventPayload<E>>((resolve) => {
      const off = services.events.subscribe((message) => {
        if (message.event === event && match(message.payload as EventPayload<E>)) {
          off();
          resolve(message.payload as EventPayload<E>);
        }
      });
    });
  return { base, libraryDir, url, app, api, events, call, next };
}
