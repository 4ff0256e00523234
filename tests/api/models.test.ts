// The models calls through the HTTP transport, with a temporary catalog whose files a local server hands out.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApi, createApp, type EventMessage, type EventPayload } from '../../main/api';
import { startServer } from '../../main/server';
import { parseCatalog } from '../../main/services/model-store';
import { startServer as startFileServer, type TestServer } from '../models/http-server';

const fixtures = fileURLToPath(new URL('../../../shared/fixtures/', import.meta.url));
const weights = new Uint8Array(randomBytes(1024 * 1024));
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

let files: TestServer;
let base: string;
let app: FastifyInstance;
let url: string;
let api: ReturnType<typeof createApi>;
const progress: EventPayload<'model.progress'>[] = [];

function catalog(fileUrl: (path: string) => string, hpsV2TinySha: string) {
  const scorer = {
    purpose: 'scorer',
    scorer: 'hps-v2',
    score: { raw: 'cosine', scale: 100, convention: '100 × cosine' },
    preprocessing: 'hps-v2',
    homepage: 'https://example.org/',
    license: 'MIT',
    requires: [],
  } as const;
  return parseCatalog({
    version: 1,
    models: [
      {
        ...scorer,
        id: 'slow-scorer',
        name: 'Slow scorer',
        description: 'A 1 MiB file served in small, slow chunks.',
        architecture: { family: 'open-clip', weightsLayout: 'open-clip-state-dict', activation: 'gelu' },
        files: [
          { path: 'slow.bin', urls: [fileUrl('/slow.bin')], size: weights.length, sha256: sha256(weights) },
        ],
      },
      {
        ...scorer,
        id: 'hps-v2-tiny',
        name: 'HPS v2 tiny',
        description: 'The fixture checkpoint, as a catalog entry to import into.',
        architecture: {
          family: 'open-clip',
          weightsLayout: 'open-clip-state-dict',
          activation: 'gelu',
          vision: { width: 128, layers: 2, heads: 2, patchSize: 14, imageSize: 224 },
        },
        files: [
          { path: 'hps_v2_tiny.pt', urls: [fileUrl('/missing.pt')], size: 14524395, sha256: hpsV2TinySha },
        ],
      },
    ],
  });
}

beforeAll(async () => {
  files = await startFileServer({
    '/slow.bin': { body: weights, etag: '"slow"', chunkSize: 32 * 1024, chunkDelayMs: 15 },
  });
  base = await mkdtemp(join(tmpdir(), 'hps-models-api-'));
  const tinySha = sha256(await readFile(join(fixtures, 'clip/hps_v2_tiny.pt')));
  const services = await createApp({
    libraryDir: join(base, 'library'),
    dataDir: join(base, 'data'),
    modelCatalog: catalog(files.url, tinySha),
    info: { version: '0.0.0', mode: 'serve', electron: null },
  });
  api = createApi(services);
  services.events.subscribe((message: EventMessage) => {
    if (message.event === 'model.progress') progress.push(message.payload);
  });
  ({ app, url } = await startServer({ api, port: 0, staticDir: join(base, 'no-ui') }));
});

afterAll(async () => {
  await app?.close();
  await files?.close();
  await rm(base, { recursive: true, force: true });
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- responses are checked field by field below
async function call<T = any>(name: string, input: unknown = {}): Promise<T> {
  const res = await fetch(new URL(`api/${name}`, url), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(input),
  });
  const body = await res.json();
  if (!res.ok) throw Object.assign(new Error(body.error.message), { status: res.status });
  return body as T;
}

const modelOf = async (id: string) =>
  (await call('models.catalog')).models.find((m: { id: string }) => m.id === id);

/** Resolves at the first model.progress event that matches. */
function nextProgress(
  match: (event: EventPayload<'model.progress'>) => boolean,
): Promise<EventPayload<'model.progress'>> {
  return new Promise((resolve) => {
    const off = api.app.events.subscribe((message) => {
      if (message.event === 'model.progress' && match(message.payload)) {
        off();
        resolve(message.payload);
      }
    });
  });
}

const slowFile = () => join(base, 'data/models/slow-scorer/slow.bin');

describe('models API over HTTP', () => {
  it('lists the catalog with sizes, purpose, state, EP and an empty store', async () => {
    const out = await call('models.catalog');
    expect(out.root).toBe(join(base, 'data/models'));
    expect(out.diskUsage).toBe(0);
    expect(out.local).toEqual([]);
    const slow = out.models.find((m: { id: string }) => m.id === 'slow-scorer');
    expect(slow).toMatchObject({
      purpose: 'scorer',
      state: 'absent',
      downloadSize: weights.length,
      sizeIsEstimate: false,
      bytesOnDisk: 0,
      architecture: 'open_clip CLIP (GELU)',
      progress: null,
    });
    // cpu always works, so every model has an EP, and it is the last resort of the order.
    expect(slow.ep.order.at(-1)).toBe('cpu');
    expect(slow.ep.preferred).toBe(slow.ep.order[0]);
  });

  it('downloads as a job with model.progress events, pauses, resumes to a verified file', async () => {
    const started = nextProgress(
      (e) => e.modelId === 'slow-scorer' && e.state === 'downloading' && e.bytes > 0,
    );
    const { jobId } = await call('models.download', { id: 'slow-scorer' });
    expect(jobId).toMatch(/^[0-9a-f-]{36}$/);
    const first = await started;
    expect(first.total).toBe(weights.length);
    expect(first.bytesPerSecond).toBeGreaterThan(0);
    expect((await modelOf('slow-scorer')).state).toBe('downloading');
    await expect(call('models.download', { id: 'slow-scorer' })).rejects.toThrow(/already downloading/);

    const paused = nextProgress((e) => e.modelId === 'slow-scorer' && e.state === 'paused');
    expect(await call('models.pause', { id: 'slow-scorer' })).toEqual({ paused: true });
    await paused;
    const partial = await modelOf('slow-scorer');
    expect(partial.state).toBe('partial');
    const kept = partial.files[0].partialBytes;
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(weights.length);

    const installed = nextProgress((e) => e.modelId === 'slow-scorer' && e.state === 'installed');
    await call('models.resume', { id: 'slow-scorer' });
    const done = await installed;
    expect(done.bytes).toBe(weights.length);
    // The resume asked for the rest only.
    const ranges = files.requests.filter((r) => r.path === '/slow.bin').map((r) => r.range);
    expect(ranges.at(-1)).toBe(`bytes=${kept}-`);
    expect(sha256(new Uint8Array(await readFile(slowFile())))).toBe(sha256(weights));
    expect((await modelOf('slow-scorer')).state).toBe('installed');
    const usage = await call('models.diskUsage');
    expect(usage.bytes).toBeGreaterThanOrEqual(weights.length);
    expect(usage.free).toBeGreaterThan(0);
    const jobs = (await call('jobs.list')).jobs.filter((j: { kind: string }) => j.kind === 'model.download');
    expect(jobs.map((j: { status: string }) => j.status)).toEqual(['done', 'cancelled']);
    expect(jobs[1].message).toMatch(/^paused/);
    await expect(call('models.resume', { id: 'slow-scorer' })).rejects.toThrow(/no paused download/);
  });

  it('deletes an installed model and frees its bytes', async () => {
    const out = await call('models.delete', { id: 'slow-scorer' });
    expect(out.freedBytes).toBeGreaterThanOrEqual(weights.length);
    expect(existsSync(slowFile())).toBe(false);
    expect((await modelOf('slow-scorer')).state).toBe('absent');
  });

  it('cancels a running download and removes its partial file', async () => {
    const started = nextProgress(
      (e) => e.modelId === 'slow-scorer' && e.state === 'downloading' && e.bytes > 0,
    );
    await call('models.download', { id: 'slow-scorer' });
    await started;
    const cancelled = nextProgress((e) => e.modelId === 'slow-scorer' && e.state === 'cancelled');
    expect(await call('models.cancel', { id: 'slow-scorer' })).toEqual({ cancelled: true });
    await cancelled;
    const model = await modelOf('slow-scorer');
    expect(model.state).toBe('absent');
    expect(model.bytesOnDisk).toBe(0);
    expect(existsSync(`${slowFile()}.part`)).toBe(false);
  });

  it('closing the studio pauses a running download, so its partial file resumes on the next start', async () => {
    const second = await createApp({
      libraryDir: join(base, 'library'),
      dataDir: join(base, 'data'),
      modelCatalog: catalog(files.url, '0'.repeat(64)),
      info: { version: '0.0.0', mode: 'serve', electron: null },
    });
    const states: string[] = [];
    second.events.subscribe((m) => m.event === 'model.progress' && states.push(m.payload.state));
    const { jobId } = second.models.download('slow-scorer');
    await expect.poll(() => states.includes('downloading')).toBe(true);
    await second.close();
    expect(states.at(-1)).toBe('paused');
    expect(second.jobs.get(jobId)?.status).toBe('cancelled');
    expect((await modelOf('slow-scorer')).state).toBe('partial');
    await call('models.cancel', { id: 'slow-scorer' });
    expect((await modelOf('slow-scorer')).state).toBe('absent');
  });

  it('reports a failed download with the reason', async () => {
    const failed = nextProgress((e) => e.modelId === 'hps-v2-tiny' && e.state === 'failed');
    await call('models.download', { id: 'hps-v2-tiny' });
    expect((await failed).error).toMatch(/not found \(HTTP 404\)/);
  });

  it('detects a fixture checkpoint and imports it as the catalog model whose hash it has', async () => {
    const path = join(fixtures, 'clip/hps_v2_tiny.pt');
    const detected = await call('models.detect', { path });
    expect(detected).toMatchObject({ supported: true, detected: { kind: 'open-clip' } });
    expect(detected.candidates.map((c: { id: string }) => c.id)).toEqual(['slow-scorer', 'hps-v2-tiny']);
    const imported = await call('models.import', { path });
    expect(imported).toMatchObject({ modelId: 'hps-v2-tiny', localId: null, matchesCatalog: true });
    const model = await modelOf('hps-v2-tiny');
    expect(model.state).toBe('installed');
    expect(model.bytesOnDisk).toBe(14524395);
    // The store counts every byte under its root: the model file and its install manifest.
    const manifest = (await stat(join(base, 'data/models/hps-v2-tiny/.installed.json'))).size;
    expect((await call('models.diskUsage')).bytes).toBe(14524395 + manifest);
  });

  it('imports other checkpoints as local models (copied or in place) and deletes them', async () => {
    const lora = join(fixtures, 'sd/lora-tiny-kohya.safetensors');
    const copied = await call('models.import', { path: lora });
    expect(copied).toMatchObject({ modelId: null, detected: { kind: 'lora-kohya' } });
    const inPlace = await call('models.import', { path: join(fixtures, 'sd/sd-tiny'), mode: 'in-place' });
    const out = await call('models.catalog');
    const byId = new Map(out.local.map((m: { id: string }) => [m.id, m]));
    expect(byId.get(copied.localId)).toMatchObject({ mode: 'copied', bytesOnDisk: 265304 });
    expect(byId.get(inPlace.localId)).toMatchObject({
      mode: 'in-place',
      path: join(fixtures, 'sd/sd-tiny'),
      bytesOnDisk: 0,
    });
    const metadata = await Promise.all(
      ['hps-v2-tiny/.installed.json', 'local.json'].map(
        async (f) => (await stat(join(base, 'data/models', f))).size,
      ),
    );
    expect(out.diskUsage).toBe(14524395 + 265304 + metadata[0]! + metadata[1]!);
    expect((await call('models.delete', { id: copied.localId })).freedBytes).toBe(265304);
    expect((await call('models.delete', { id: inPlace.localId })).freedBytes).toBe(0);
    expect(existsSync(join(fixtures, 'sd/sd-tiny/unet/config.json'))).toBe(true);
    expect((await call('models.catalog')).local).toEqual([]);
  });

  it('refuses an unsupported checkpoint with a clear message, and unknown models', async () => {
    const random = join(base, 'random.safetensors');
    const header = new TextEncoder().encode(
      JSON.stringify({ 'foo.bar': { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }),
    );
    const bytes = new Uint8Array(8 + header.length + 4);
    new DataView(bytes.buffer).setBigUint64(0, BigInt(header.length), true);
    bytes.set(header, 8);
    await writeFile(random, bytes);
    const detected = await call('models.detect', { path: random });
    expect(detected.supported).toBe(false);
    expect(detected.message).toMatch(/is not a supported checkpoint: .*foo\.bar/);
    await expect(call('models.import', { path: random })).rejects.toMatchObject({ status: 400 });
    await expect(call('models.detect', { path: join(base, 'nope.pt') })).rejects.toThrow(/no such file/);
    await expect(call('models.download', { id: 'nope' })).rejects.toMatchObject({ status: 404 });
    await expect(
      call('models.import', { path: join(fixtures, 'clip/aesthetic_tiny.pth'), modelId: 'hps-v2-tiny' }),
    ).rejects.toThrow(/cannot be imported as hps-v2-tiny/);
  });
});
