// Shared by the generate/training API tests: an in-process server on port 0 with a temporary library, typed
// calls over HTTP, and waiting for events.
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import sharp from 'sharp';
import {
  createApi,
  createApp,
  type App,
  type EventMessage,
  type EventName,
  type EventPayload,
} from '../../main/api';
import { startServer } from '../../main/server';
import { importPairs, Library } from '../../main/services/library';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const tinyModel = path.resolve(repoRoot, '../shared/fixtures/sd/sd-tiny');
export const clipVocab = path.resolve(repoRoot, '../shared/fixtures/clip/bpe_simple_vocab_16e6.txt.gz');

/** A two-image, four-step batch on sd-tiny: generation tests' settings. */
export const TINY_GENERATE = {
  model: tinyModel,
  vocab: clipVocab,
  prompt: 'a red cube on a blue table',
  negative: 'Weird image. ',
  steps: 4,
  cfg: 7.5,
  seed: 11,
  scheduler: 'euler' as const,
  width: 32,
  height: 32,
  batch: 2,
};

export interface TestApi {
  base: string;
  libraryDir: string;
  url: string;
  server: FastifyInstance;
  /** The studio behind the server (closed by closing the server). */
  app: App;
  api: ReturnType<typeof createApi>;
  events: EventMessage[];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- responses are checked field by field
  call<T = any>(name: string, input?: unknown): Promise<T>;
  next<E extends EventName>(event: E, match: (payload: EventPayload<E>) => boolean): Promise<EventPayload<E>>;
}

export async function startTestApi(
  prefix: string,
  prepareLibrary?: (dir: string) => Promise<void>,
  /** The built renderer, for browser tests. */
  staticDir?: string,
): Promise<TestApi> {
  const base = await mkdtemp(path.join(tmpdir(), prefix));
  const libraryDir = path.join(base, 'library');
  await prepareLibrary?.(libraryDir);
  const app = await createApp({
    libraryDir,
    dataDir: path.join(base, 'data'),
    info: { version: '0.0.0', mode: 'serve', electron: null },
  });
  const api = createApi(app);
  const events: EventMessage[] = [];
  app.events.subscribe((message) => events.push(message));
  const { app: server, url } = await startServer({
    api,
    port: 0,
    staticDir: staticDir ?? path.join(base, 'no-ui'),
  });
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
  // Looks at the events already recorded first: an event can arrive before the call that caused it has
  // answered (a cancel that lands at once), and every caller matches on an id that is new to that call.
  const next = <E extends EventName>(event: E, match: (payload: EventPayload<E>) => boolean) =>
    new Promise<EventPayload<E>>((resolve) => {
      const matches = (message: EventMessage) =>
        message.event === event && match(message.payload as EventPayload<E>);
      const seen = events.find(matches);
      if (seen) return resolve(seen.payload as EventPayload<E>);
      const off = app.events.subscribe((message) => {
        if (matches(message)) {
          off();
          resolve(message.payload as EventPayload<E>);
        }
      });
    });
  return { base, libraryDir, url, server, app, api, events, call, next };
}

async function noise(file: string, seed: number, smooth: boolean): Promise<void> {
  const [w, h] = [32, 32];
  const data = Buffer.alloc(w * h * 3);
  let s = seed;
  for (let i = 0; i < w * h; i++) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const px = smooth
      ? [200, (i % w) * 8, Math.floor(i / w) * 8]
      : [s % 256, (s >> 8) % 256, (s >> 16) % 256];
    data.set(px, i * 3);
  }
  await sharp(data, { raw: { width: w, height: h, channels: 3 } })
    .png()
    .toFile(file);
}

/** Two labeled pairs, imported through the pairs JSONL (chosen = smooth, rejected = noise). */
export async function labeledLibrary(dir: string): Promise<void> {
  const file = await labeledPairs(path.join(dir, '..', 'pairs'));
  const library = await Library.open(dir);
  try {
    await importPairs(library, file);
  } finally {
    await library.close();
  }
}

/** Two labeled pairs of noise images (smooth chosen over rough) as a pairs JSONL in `data`; returns the file. */
export async function labeledPairs(data: string): Promise<string> {
  mkdirSync(data, { recursive: true });
  const lines = [];
  for (const [i, prompt] of ['a smooth gradient', 'a warm colour field'].entries()) {
    await noise(path.join(data, `good${i}.png`), 10 + i, true);
    await noise(path.join(data, `bad${i}.png`), 20 + i, false);
    lines.push({ prompt, chosen: `good${i}.png`, rejected: `bad${i}.png`, tie: false });
  }
  const file = path.join(data, 'pairs.jsonl');
  writeFileSync(file, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  return file;
}
