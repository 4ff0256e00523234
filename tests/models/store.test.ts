import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ModelStore, parseCatalog, type ModelDownloadProgress } from '../../main/services/model-store';
import { startServer, type TestServer } from './http-server';

const vocab = new Uint8Array(randomBytes(20 * 1024));
const weights = new Uint8Array(randomBytes(200 * 1024));
const config = new TextEncoder().encode('{"hidden_size": 64}');
const hex = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

let server: TestServer;
let root: string;
beforeEach(async () => {
  server = await startServer({
    '/vocab.gz': { body: vocab },
    '/weights.bin': { body: weights, etag: '"w1"', chunkSize: 8 * 1024, chunkDelayMs: 2 },
    '/config.json': { body: config },
  });
  root = await mkdtemp(join(tmpdir(), 'hps-store-'));
});
afterEach(async () => {
  await server.close();
  await rm(root, { recursive: true, force: true });
});

function testCatalog() {
  const common = {
    purpose: 'scorer',
    homepage: 'https://example.org/',
    license: 'MIT',
    preprocessing: 'openai-clip',
  } as const;
  return parseCatalog({
    version: 1,
    models: [
      {
        ...common,
        id: 'tok',
        name: 'Tokenizer',
        description: 'vocabulary',
        purpose: 'tokenizer',
        architecture: { family: 'clip-bpe', weightsLayout: 'bpe-merges-gz' },
        requires: [],
        files: [
          { path: 'vocab.gz', urls: [server.url('/vocab.gz')], size: vocab.length, sha256: hex(vocab) },
        ],
      },
      {
        ...common,
        id: 'scorer',
        name: 'Scorer',
        description: 'a scorer',
        scorer: 'hps-v1',
        score: { raw: 'cosine', scale: 100, convention: '100 × cosine' },
        architecture: { family: 'openai-clip', weightsLayout: 'openai-clip-state-dict' },
        requires: ['tok'],
        files: [
          {
            path: 'weights.bin',
            urls: [server.url('/weights.bin')],
            size: weights.length,
            sha256: hex(weights),
          },
          {
            path: 'sub/config.json',
            urls: [server.url('/config.json')],
            size: null,
            approxSize: 100,
            sha256: null,
          },
        ],
      },
    ],
  });
}

function newStore() {
  return new ModelStore({
    root,
    catalog: testCatalog(),
    download: { retries: 0, retryDelayMs: 1, progressIntervalMs: 0 },
  });
}

describe('ModelStore', () => {
  it('downloads a model with its requirements into <root>/<id>/, reporting progress per model', async () => {
    const store = newStore();
    expect((await store.list()).map((status) => status.state)).toEqual(['absent', 'absent']);
    const events: ModelDownloadProgress[] = [];
    const status = await store.download('scorer', { onProgress: (event) => events.push(event) });

    expect(status.state).toBe('installed');
    expect((await store.status('tok')).state).toBe('installed');
    expect(
      Buffer.from(await readFile(store.filePath('scorer', 'weights.bin'))).equals(Buffer.from(weights)),
    ).toBe(true);
    expect(await readFile(join(root, 'scorer', 'sub', 'config.json'), 'utf8')).toBe('{"hidden_size": 64}');
    expect(status.bytesOnDisk).toBe(weights.length + config.length);
    expect(await store.diskUsage()).toBeGreaterThanOrEqual(vocab.length + weights.length + config.length);

    expect(new Set(events.map((event) => event.modelId))).toEqual(new Set(['tok', 'scorer']));
    const scorerEvents = events.filter((event) => event.modelId === 'scorer');
    expect(scorerEvents.map((event) => event.bytes)).toEqual(
      [...scorerEvents.map((event) => event.bytes)].sort((a, b) => a - b),
    );
    expect(scorerEvents.at(-1)).toMatchObject({
      bytes: weights.length + config.length,
      total: weights.length + 100,
      totalIsEstimate: true,
    });
  });

  it('pauses (partial files kept, state partial), resumes with Range, and refuses a second concurrent download', async () => {
    const store = newStore();
    let paused = false;
    const first = store.download('scorer', {
      requirements: false,
      onProgress: (event) => {
        if (!paused && event.fileBytes >= 64 * 1024) paused = store.pause('scorer');
      },
    });
    await expect(store.download('scorer', { requirements: false })).rejects.toThrow(/already downloading/);
    await expect(first).rejects.toMatchObject({ kind: 'aborted' });
    const status = await store.status('scorer');
    expect(status.state).toBe('partial');
    const partial = status.files.find((file) => file.path === 'weights.bin')!;
    expect(partial.partialBytes).toBeGreaterThanOrEqual(64 * 1024);
    expect(partial.present).toBe(false);

    await store.download('scorer', { requirements: false });
    expect((await store.status('scorer')).state).toBe('installed');
    const weightRequests = server.requests.filter((request) => request.path === '/weights.bin');
    expect(weightRequests.at(-1)!.range).toBe(`bytes=${partial.partialBytes}-`);
  });

  it('pausing a model also pauses the requirement being downloaded for it', async () => {
    const catalog = testCatalog();
    catalog.models[0]!.files[0] = {
      path: 'vocab.gz',
      urls: [server.url('/weights.bin')],
      size: weights.length,
      sha256: hex(weights),
    };
    const store = new ModelStore({ root, catalog, download: { retries: 0, progressIntervalMs: 0 } });
    const run = store.download('scorer', {
      onProgress: (event) => {
        if (event.modelId === 'tok' && event.fileBytes >= 32 * 1024) store.pause('scorer');
      },
    });
    expect((await store.status('tok')).state).toBe('downloading');
    expect((await store.status('scorer')).state).toBe('downloading');
    await expect(run).rejects.toMatchObject({ kind: 'aborted' });
    expect((await store.status('tok')).state).toBe('partial');
    expect((await store.status('scorer')).state).toBe('absent');
  });

  it('cancel deletes partial files; remove deletes the model', async () => {
    const store = newStore();
    const running = store.download('scorer', {
      requirements: false,
      onProgress: (event) => {
        if (event.fileBytes >= 32 * 1024) void store.cancel('scorer');
      },
    });
    await expect(running).rejects.toMatchObject({ kind: 'aborted' });
    await store.cancel('scorer');
    expect((await store.status('scorer')).state).toBe('absent');
    expect(existsSync(join(root, 'scorer', 'weights.bin.part'))).toBe(false);

    await store.download('scorer');
    await store.remove('scorer');
    expect((await store.status('scorer')).state).toBe('absent');
    expect((await store.status('tok')).state).toBe('installed');
  });

  it("imports a file the user already has, reporting whether it is the catalog's file, and identifies files by hash", async () => {
    const store = newStore();
    const source = join(root, 'downloaded-elsewhere.gz');
    await writeFile(source, vocab);
    const imported = await store.importFile('tok', 'vocab.gz', source);
    expect(imported).toMatchObject({ bytes: vocab.length, sha256: hex(vocab), matchesCatalog: true });
    expect(imported.status.state).toBe('installed');
    expect(Buffer.from(await readFile(store.filePath('tok', 'vocab.gz'))).equals(Buffer.from(vocab))).toBe(
      true,
    );
    expect(await store.identifyFile(source)).toEqual({ modelId: 'tok', file: 'vocab.gz' });

    const other = join(root, 'other-weights.bin');
    await writeFile(other, randomBytes(1000));
    expect(await store.identifyFile(other)).toBeNull();
    const mismatched = await store.importFile('scorer', 'weights.bin', other);
    expect(mismatched.matchesCatalog).toBe(false);
    expect(mismatched.status.state).toBe('partial'); // sub/config.json is still missing
    await expect(store.importFile('scorer', 'nope.bin', other)).rejects.toThrow(/has no file "nope.bin"/);
    await expect(store.importFile('scorer', 'weights.bin', join(root, 'missing'))).rejects.toThrow(
      /cannot import .*missing: ENOENT/,
    );
  });

  it('a failed download names the file and leaves the model not installed', async () => {
    const catalog = testCatalog();
    catalog.models[0]!.files[0]!.urls = [server.url('/missing')];
    const store = new ModelStore({ root, catalog, download: { retries: 0 } });
    await expect(store.download('scorer')).rejects.toMatchObject({
      kind: 'not-found',
      message: expect.stringContaining('/missing was not found'),
    });
    expect((await store.status('scorer')).state).toBe('absent');
    expect(() => store.filePath('scorer', 'nope.bin')).toThrow(/has no file "nope.bin"/);
    expect(() => store.modelDir('unknown')).toThrow(/unknown model "unknown"/);
  });
});
