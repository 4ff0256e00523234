// Loaded scorers over HTTP in team mode: hps_v2_tiny loaded from a path scores a small library in a background
// job (stored scores equal the scorer's own output exactly), score.updated reaches an admin's WebSocket and
// never an annotator's, an import triggers scoring of the new pairs, unsupported files give a 400, a local
// model loads by id, and near-duplicates find a re-encoded copy but not an unrelated image.
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createApi, createApp, type Api, type EventMessage } from '../../main/api';
import { teamAuthenticator } from '../../main/app/caller';
import { createServer } from '../../main/server';
import type { Library } from '../../main/services/library';
import { createScorer, isScoreError, type Scorer } from '../../main/services/scoring';
import { withLibrary } from '../library/open-library';
import { fixture, VOCAB } from '../models/clip-fixtures';

let base: string;
let api: Api;
let app: FastifyInstance;
let url: string;
let adminToken: string;
let annotatorToken: string;
const ids: Record<string, number> = {};
const sockets: WebSocket[] = [];

/** A: a photo-like fixture; A2: the same re-encoded at another JPEG quality; B, C: unrelated fixtures. */
async function prepareLibrary(library: Library): Promise<void> {
  const sources = {
    a: await sharp(fixture('img0_rgb_512x512.png')).jpeg({ quality: 95 }).toBuffer(),
    a2: await sharp(fixture('img0_rgb_512x512.png')).jpeg({ quality: 70 }).toBuffer(),
    b: await readFile(fixture('img2_rgb_300x700.png')),
    c: await readFile(fixture('img3_rgb_517x333.png')),
  };
  for (const [name, bytes] of Object.entries(sources)) ids[name] = (await library.addImage(bytes)).image.id;
  await library.addComparison({ prompt: 'a red bird on a branch', imageIds: [ids.a!, ids.b!] });
  await library.addComparison({ prompt: 'a castle at night', imageIds: [ids.a2!, ids.c!] });
  // A again under a second prompt: its embedding comes from the cache.
  await library.addComparison({ prompt: 'a castle at night', imageIds: [ids.a!, ids.c!] });
  adminToken = (await library.createAnnotator('ada', 'admin')).token;
  annotatorToken = (await library.createAnnotator('ann', 'annotator')).token;
}

beforeAll(async () => {
  base = await mkdtemp(path.join(tmpdir(), 'hps-scorers-'));
  const libraryDir = path.join(base, 'library');
  await withLibrary(libraryDir, prepareLibrary);
  api = createApi(
    await createApp({
      libraryDir,
      dataDir: path.join(base, 'data'),
      info: { version: 'test', mode: 'serve', electron: null },
    }),
  );
  app = await createServer({ api, port: 0, authenticate: teamAuthenticator(() => api.app.library) });
  await app.listen({ host: '127.0.0.1', port: 0 });
  url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
}, 60_000);

afterAll(async () => {
  for (const socket of sockets) socket.close();
  await app?.close();
  await rm(base, { recursive: true, force: true });
});

async function post(call: string, body: unknown, token = adminToken) {
  const res = await fetch(`${url}/api/${call}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- checked field by field below
  return { status: res.status, body: (await res.json()) as any };
}

async function listen(token: string): Promise<EventMessage[]> {
  const socket = new WebSocket(`${url.replace('http', 'ws')}/api/events?token=${token}`);
  sockets.push(socket);
  const messages: EventMessage[] = [];
  socket.on('message', (data) => messages.push(JSON.parse(String(data)) as EventMessage));
  await new Promise((resolve) => socket.once('open', resolve));
  return messages;
}

async function jobDone(jobId: string) {
  await expect
    .poll(() => api.app.jobs.get(jobId)?.status, { timeout: 60_000, interval: 50 })
    .not.toBe('running');
  return api.app.jobs.get(jobId)!;
}

const model = fixture('hps_v2_tiny.pt');

describe('loaded scorers', () => {
  let direct: Scorer;
  afterAll(() => direct?.close());

  it('loads, scores the library in a job, stores the scorer’s exact output and pushes chips to admins only', async () => {
    const adminEvents = await listen(adminToken);
    const annotatorEvents = await listen(annotatorToken);
    const loaded = await post('scorers.load', { kind: 'hps-v2', path: model, vocab: VOCAB });
    expect(loaded.status).toBe(200);
    expect(loaded.body.scorer).toMatchObject({
      id: 'hps_v2_tiny',
      kind: 'hps-v2',
      ep: 'cpu',
      precision: 'fp32',
    });
    const job = await jobDone(loaded.body.scorer.jobId);
    expect(job.status, job.error).toBe('done');

    const library = api.app.library;
    const stored = await library.scores.list({ modelId: 'hps_v2_tiny' });
    // (a, b) under the bird prompt; (a2, c, a) under the castle prompt.
    expect(stored).toHaveLength(5);
    direct = await createScorer({ kind: 'hps-v2', model, vocab: VOCAB });
    const comparisons = await library.listComparisons();
    for (const prompt of await library.listPrompts()) {
      const images = [
        ...new Set(comparisons.filter((c) => c.promptId === prompt.id).flatMap((c) => c.images)),
      ];
      const unique = [...new Map(images.map((i) => [i.id, i])).values()];
      const rows = await direct.score(
        unique.map((i) => library.imagePath(i)),
        [prompt.text],
      );
      rows.forEach((row, k) => {
        if (isScoreError(row)) throw new Error(row.error);
        const mine = stored.find((s) => s.imageId === unique[k]!.id && s.promptId === prompt.id);
        expect(mine?.score).toBe(row.score);
        expect(mine?.cosine).toBe(row.cosine);
      });
    }

    await expect.poll(() => adminEvents.filter((m) => m.event === 'score.updated').length).toBe(5);
    const chip = adminEvents.find((m) => m.event === 'score.updated')!.payload as { scorerId: string };
    expect(chip.scorerId).toBe('hps_v2_tiny');
    expect(annotatorEvents.some((m) => m.event === 'job.progress')).toBe(true);
    expect(annotatorEvents.filter((m) => m.event === 'score.updated')).toHaveLength(0);
    const statusScorers = (await post('library.status', {})).body.scorers;
    expect(statusScorers).toContain('hps_v2_tiny');
  }, 120_000);

  it('scores only what is new: an explicit run finds nothing, an import triggers a job for the new pairs', async () => {
    const again = await post('scorers.scoreLibrary', {});
    expect(again.body.jobIds).toHaveLength(1);
    await jobDone(again.body.jobIds[0]);
    const library = api.app.library;
    expect(await library.scores.list({ modelId: 'hps_v2_tiny' })).toHaveLength(5);

    const folder = path.join(base, 'new');
    mkdirSync(folder, { recursive: true });
    const lines: string[] = [];
    for (const [name, g] of [
      ['green.png', 200],
      ['olive.png', 120],
    ] as const) {
      await sharp({ create: { width: 40, height: 30, channels: 3, background: { r: 10, g, b: 30 } } })
        .png()
        .toFile(path.join(folder, name));
      lines.push(JSON.stringify({ image: name, prompt: 'a green field' }));
    }
    writeFileSync(path.join(folder, 'prompts.jsonl'), lines.join('\n'));
    const imported = await post('library.import', {
      format: 'folder',
      folder,
      prompts: path.join(folder, 'prompts.jsonl'),
      split: 'pairs',
    });
    expect(imported.status).toBe(200);
    await expect
      .poll(async () => (await library.scores.list({ modelId: 'hps_v2_tiny' })).length, { timeout: 60_000 })
      .toBe(7);
  }, 120_000);

  it('scores a comparison that is about to be served when a pair of it lacks a score', async () => {
    const library = api.app.library;
    const { comparison } = await library.addComparison({
      prompt: 'a bird at dusk',
      imageIds: [ids.b!, ids.c!],
    });
    const service = api.app.scorers;
    await service.scoreComparison(comparison);
    const [running] = await service.list();
    expect(running!.jobId).not.toBeNull();
    await jobDone(running!.jobId!);
    const scored = await library.scores.list({ modelId: 'hps_v2_tiny', promptId: comparison.promptId });
    expect(scored.map((s) => s.imageId).sort()).toEqual([ids.b, ids.c].sort());
    await service.scoreComparison(comparison);
    expect((await service.list())[0]!.jobId).toBeNull();
  }, 60_000);

  it('refuses annotators, unsupported files and non-CLIP checkpoints with clear errors', async () => {
    expect((await post('scorers.list', {}, annotatorToken)).status).toBe(403);
    const junk = path.join(base, 'junk.pt');
    writeFileSync(junk, 'not a checkpoint at all');
    const bad = await post('scorers.load', { kind: 'hps-v2', path: junk, vocab: VOCAB });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/junk\.pt/);
    const head = await post('scorers.load', { path: fixture('aesthetic_tiny.pth'), vocab: VOCAB });
    expect(head.status).toBe(400);
    expect(head.body.error.message).toMatch(/aesthetic MLP head/);
    const twice = await post('scorers.load', { kind: 'hps-v2', path: model, vocab: VOCAB });
    expect(twice.status).toBe(400);
    expect(twice.body.error.message).toMatch(/already loaded/);
    expect((await post('scorers.load', { modelId: 'hps-v2.1' })).status).toBe(400);
  });

  it('loads an imported local model by id, lists HPS v2 before v1, and unloads', async () => {
    const imported = await post('models.import', { path: fixture('hps_v1_tiny.pt'), mode: 'in-place' });
    expect(imported.status).toBe(200);
    const loaded = await post('scorers.load', {
      modelId: imported.body.localId,
      vocab: VOCAB,
      scoreLibrary: false,
    });
    expect(loaded.body.scorer).toMatchObject({ id: 'hps_v1_tiny', kind: 'hps-v1', jobId: null });
    const list = (await post('scorers.list', {})).body.scorers.map((s: { id: string }) => s.id);
    expect(list).toEqual(['hps_v2_tiny', 'hps_v1_tiny']);
    // Loaded without a stored score yet: listed, so its chips show as pending rather than "no scorer loaded".
    expect((await post('library.status', {})).body.scorers).toEqual(['hps_v2_tiny', 'hps_v1_tiny']);
    expect((await post('scorers.unload', { id: 'hps_v1_tiny' })).body.unloaded).toBe(true);
    expect((await post('scorers.unload', { id: 'hps_v1_tiny' })).body.unloaded).toBe(false);
    expect((await post('scorers.list', {})).body.scorers).toHaveLength(1);
  }, 60_000);

  // The tiny random-weight tower packs every image into a narrow cone (unrelated fixtures reach cosine 0.998,
  // the JPEG re-encode 0.99997), so the threshold here is tighter than real CLIP's default 0.95.
  it('finds a re-encoded copy as a near-duplicate, and not an unrelated image', async () => {
    const found = await post('library.nearDuplicates', { scorerId: 'hps_v2_tiny', threshold: 0.9995 });
    expect(found.status).toBe(200);
    const groups = found.body.groups as { images: { id: number }[]; minCosine: number }[];
    const withA = groups.find((g) => g.images.some((i) => i.id === ids.a));
    expect(withA?.images.map((i) => i.id).sort()).toEqual([ids.a, ids.a2].sort());
    expect(withA!.minCosine).toBeGreaterThanOrEqual(0.9995);
    expect(groups).toHaveLength(1);
    expect(groups.flatMap((g) => g.images.map((i) => i.id))).not.toContain(ids.b);
    expect((await post('library.nearDuplicates', { scorerId: 'nope' })).status).toBe(404);
  }, 60_000);
});
