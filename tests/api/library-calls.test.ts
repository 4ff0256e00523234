// The library, labeling and evaluation calls through the real dispatcher and the HTTP transport with team auth.
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createApi, createApp, type Api, type AuthInfo, OWNER } from '../../main/api';
import { teamAuthenticator } from '../../main/app/caller';
import { createServer } from '../../main/server';

let dir: string;
let api: Api;

async function writeFolder(root: string, prompts: number, perPrompt: number): Promise<string> {
  mkdirSync(join(root, 'images'), { recursive: true });
  const lines: string[] = [];
  for (let p = 0; p < prompts; p++) {
    for (let i = 0; i < perPrompt; i++) {
      const name = `p${p}_${i}.png`;
      const png = await sharp({
        create: { width: 16, height: 16, channels: 3, background: { r: p * 20, g: i * 60, b: 90 } },
      })
        .png()
        .toBuffer();
      writeFileSync(join(root, 'images', name), png);
      lines.push(JSON.stringify({ image: `images/${name}`, prompt: `prompt number ${p}` }));
    }
  }
  lines.push(JSON.stringify({ image: 'images/missing.png', prompt: 'prompt number 0' }));
  writeFileSync(join(root, 'prompts.jsonl'), lines.join('\n'));
  return join(root, 'prompts.jsonl');
}

async function waitForImport(jobId: string) {
  for (;;) {
    const outcome = (await api.call('library.importReport', { jobId }, OWNER)) as {
      report: { comparisonsAdded: number; imagesAdded: number; errors: { file: string }[] } | null;
      error: string | null;
    };
    if (outcome.report || outcome.error) return outcome;
    await new Promise((r) => setTimeout(r, 20));
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hps-api-library-'));
  const prompts = await writeFolder(join(dir, 'src'), 3, 3);
  api = createApi(
    await createApp({
      libraryDir: join(dir, 'library'),
      info: { version: 'test', mode: 'serve', electron: null },
    }),
  );
  const { jobId } = (await api.call(
    'library.import',
    { format: 'folder', folder: join(dir, 'src'), prompts, split: 'pairs' },
    OWNER,
  )) as { jobId: string };
  const outcome = await waitForImport(jobId);
  expect(outcome.error).toBeNull();
});

afterAll(async () => {
  await api?.app.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('library calls', () => {
  it('imports a folder as a job, pairs split, with the missing file in the error report', async () => {
    const status = (await api.call('library.status', {}, OWNER)) as {
      stats: { comparisons: number; images: number };
    };
    // 3 prompts × C(3,2) pairs.
    expect(status.stats).toMatchObject({ images: 9, comparisons: 9 });
    const jobs = api.app.jobs.list();
    expect(jobs[0]).toMatchObject({ kind: 'library.import', status: 'done', progress: 1 });
    expect(jobs[0]!.message).toMatch(/1 errors/);
  });

  it('reads a relative prompts path from the image folder and refuses wrong paths before any job starts', async () => {
    const jobsBefore = api.app.jobs.list().length;
    const refused = async (request: object) => {
      const error = await api.call('library.import', request, OWNER).then(
        () => null,
        (err: { code: string; message: string }) => err,
      );
      expect(error?.code).toBe('bad_request');
      return error!.message;
    };
    const folder = join(dir, 'src');
    expect(await refused({ format: 'folder', folder, prompts: 'missing.csv' })).toBe(
      `there is no prompts file at ${join(folder, 'missing.csv')} (a relative prompts path is read from the image folder)`,
    );
    expect(await refused({ format: 'folder', folder: 'src', prompts: 'prompts.jsonl' })).toMatch(
      /^the image folder must be a full path .*, not "src"$/,
    );
    expect(await refused({ format: 'folder', folder: join(dir, 'nowhere'), prompts: 'p.csv' })).toBe(
      `there is no image folder at ${join(dir, 'nowhere')}`,
    );
    expect(await refused({ format: 'pairs', file: folder })).toBe(
      `the file ${folder} is a folder, not a file`,
    );
    expect(api.app.jobs.list()).toHaveLength(jobsBefore);

    const { jobId } = (await api.call(
      'library.import',
      { format: 'folder', folder, prompts: 'prompts.jsonl', split: 'pairs' },
      OWNER,
    )) as { jobId: string };
    const outcome = await waitForImport(jobId);
    expect(outcome.error).toBeNull();
    // The same rows as the first import: every image and comparison is already in the library.
    expect(outcome.report).toMatchObject({ imagesAdded: 0, comparisonsAdded: 0 });
    expect(outcome.report!.errors).toHaveLength(1);
  });

  it('labels, undoes and reports progress for the local user, committed before answering', async () => {
    const first = (await api.call('labeling.next', {}, OWNER)) as {
      item: { comparisonId: number; shownOrder: number[]; images: { id: number; path: string }[] };
      progress: { judged: number; remaining: number };
    };
    expect(first.progress).toEqual({ judged: 0, remaining: 9 });
    expect(first.item.images.map((i) => i.id)).toEqual(first.item.shownOrder);
    expect(first.item.images[0]!.path).toMatch(/^images\/[0-9a-f]{2}\/[0-9a-f]+\.png$/);
    const submit = {
      comparisonId: first.item.comparisonId,
      kind: 'choice',
      chosenImageId: first.item.shownOrder[1],
      shownOrder: first.item.shownOrder,
      decisionMs: 812,
      idempotencyKey: 'key-00000001',
    };
    const stored = (await api.call('labeling.submit', submit, OWNER)) as { duplicate: boolean };
    expect(stored).toMatchObject({ duplicate: false });
    await expect(api.call('labeling.progress', {}, OWNER)).resolves.toEqual({ judged: 1, remaining: 8 });
    // Committed: a second connection to the database sees it.
    const library = api.app.library;
    expect((await library.judgments.byKey('key-00000001'))?.chosenImageId).toBe(first.item.shownOrder[1]);
    const retry = (await api.call('labeling.submit', submit, OWNER)) as { duplicate: boolean };
    expect(retry.duplicate).toBe(true);
    const second = (await api.call('labeling.next', { exclude: [first.item.comparisonId] }, OWNER)) as {
      item: { comparisonId: number };
    };
    expect(second.item.comparisonId).not.toBe(first.item.comparisonId);
    const undo = (await api.call('labeling.undo', {}, OWNER)) as {
      undone: { comparisonId: number };
      item: { shownOrder: number[] };
    };
    expect(undo.undone.comparisonId).toBe(first.item.comparisonId);
    expect(undo.item.shownOrder).toEqual(first.item.shownOrder);
    expect(await library.judgments.byKey('key-00000001')).toBeNull();
  });

  it('rejects a judgment that names an image outside the comparison with 400', async () => {
    const next = (await api.call('labeling.next', {}, OWNER)) as {
      item: { comparisonId: number; shownOrder: number[] };
    };
    await expect(
      api.call(
        'labeling.submit',
        {
          comparisonId: next.item.comparisonId,
          kind: 'choice',
          chosenImageId: 99999,
          shownOrder: next.item.shownOrder,
          idempotencyKey: 'bad-key-0001',
        },
        OWNER,
      ),
    ).rejects.toMatchObject({ code: 'bad_request' });
  });

  it('filters, sorts and pages the curation grid; tags, excludes and deletes selections', async () => {
    const page = (await api.call(
      'library.comparisons',
      { text: 'number 1', limit: 2, sort: 'id', descending: true },
      OWNER,
    )) as {
      total: number;
      items: { id: number; prompt: string; images: { thumbPath: string | null }[] }[];
    };
    expect(page.total).toBe(3);
    expect(page.items).toHaveLength(2);
    expect(page.items[0]!.id).toBeGreaterThan(page.items[1]!.id);
    expect(page.items[0]!.images[0]!.thumbPath).toMatch(/^thumbs\//);
    const ids = page.items.map((i) => i.id);
    await expect(api.call('library.tag', { comparisonIds: ids, tag: 'blurry' }, OWNER)).resolves.toEqual({
      changed: 2,
    });
    const tagged = (await api.call('library.comparisons', { tag: 'blurry' }, OWNER)) as { total: number };
    expect(tagged.total).toBe(2);
    await api.call('library.exclude', { comparisonIds: [ids[0]!], excluded: true }, OWNER);
    const excluded = (await api.call('library.comparisons', { state: 'excluded' }, OWNER)) as {
      items: { id: number }[];
    };
    expect(excluded.items.map((i) => i.id)).toEqual([ids[0]]);
    await expect(api.call('library.delete', { comparisonIds: [ids[1]!] }, OWNER)).resolves.toEqual({
      deleted: 1,
    });
    const after = (await api.call('library.comparisons', {}, OWNER)) as { total: number };
    expect(after.total).toBe(8);
  });

  it('finds images shared by several comparisons (exact hash duplicates)', async () => {
    const dups = (await api.call('library.duplicates', {}, OWNER)) as {
      images: { comparisonIds: number[] }[];
    };
    // In a pairs split every image of a 3-image prompt is in two pairs (one pair was deleted above).
    expect(dups.images.length).toBeGreaterThanOrEqual(6);
    expect(dups.images.every((d) => d.comparisonIds.length >= 2)).toBe(true);
  });
});

describe('team mode over HTTP', () => {
  let base: string;
  let close: () => Promise<void>;
  let adminToken: string;
  let annotatorToken: string;
  let served: Api;

  beforeAll(async () => {
    const library = api.app.library;
    adminToken = (await library.createAnnotator('ada', 'admin')).token;
    annotatorToken = (await library.createAnnotator('ann', 'annotator')).token;
    // The server's own studio on the same folder (as a second process would have): closing it leaves `api` open.
    served = createApi(
      await createApp({
        libraryDir: join(dir, 'library'),
        info: { version: 'test', mode: 'serve', electron: null },
      }),
    );
    const app = await createServer({
      api: served,
      port: 0,
      authenticate: teamAuthenticator(() => served.app.library),
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address() as { port: number };
    base = `http://127.0.0.1:${address.port}`;
    close = () => app.close();
  });
  afterAll(() => close());

  const post = (call: string, body: unknown, token?: string) =>
    fetch(`${base}/api/${call}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });

  it('answers 401 without a token or with an unknown one, on calls, images and the WebSocket', async () => {
    expect((await post('library.status', {})).status).toBe(401);
    expect((await post('library.status', {}, 'not-a-token')).status).toBe(401);
    expect((await fetch(`${base}/library-files/library.sqlite`)).status).toBe(401);
    const upgrade = (token?: string) =>
      new Promise<number>((resolve, reject) => {
        const req = request(`${base}/api/events${token ? `?token=${token}` : ''}`, {
          headers: {
            connection: 'Upgrade',
            upgrade: 'websocket',
            'sec-websocket-version': '13',
            'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
          },
        });
        req.on('response', (res) => resolve(res.statusCode ?? 0));
        req.on('upgrade', (res, socket) => {
          socket.destroy();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });
    expect(await upgrade()).toBe(401);
    expect(await upgrade('wrong')).toBe(401);
    expect(await upgrade(adminToken)).toBe(101);
  });

  it('lets an annotator label but answers 403 to import, export, delete and annotator admin', async () => {
    const me = (await (await post('library.status', {}, annotatorToken)).json()) as {
      me: { name: string; role: string };
    };
    expect(me.me).toEqual(expect.objectContaining({ name: 'ann', role: 'annotator' }));
    const next = (await (await post('labeling.next', {}, annotatorToken)).json()) as {
      item: { images: { scores: unknown[] }[] };
    };
    expect(next.item.images.every((i) => i.scores.length === 0)).toBe(true);
    for (const [call, body] of [
      ['library.import', { format: 'pairs', file: '/tmp/x.jsonl' }],
      ['library.export', { format: 'pairs-jsonl', out: join(dir, 'out.jsonl') }],
      ['library.delete', { comparisonIds: [1] }],
      ['annotators.add', { name: 'eve' }],
    ] as const) {
      expect((await post(call, body, annotatorToken)).status, call).toBe(403);
    }
  });

  it('never sends score events to annotators (blind), but does to admins', async () => {
    const received = async (token: string) => {
      const socket = new WebSocket(`${base.replace('http', 'ws')}/api/events?token=${token}`);
      const events: string[] = [];
      socket.on('message', (data) => events.push((JSON.parse(String(data)) as { event: string }).event));
      await new Promise((resolve) => socket.once('open', resolve));
      return { socket, events };
    };
    const annotator = await received(annotatorToken);
    const admin = await received(adminToken);
    served.app.events.emit('score.updated', { imageId: '1', scorerId: 'hps-v2.1', score: 27 });
    served.app.jobs.start({ kind: 'test', title: 'ping' }, async () => undefined);
    await expect.poll(() => annotator.events.includes('job.progress')).toBe(true);
    await expect.poll(() => admin.events.includes('score.updated')).toBe(true);
    expect(annotator.events).not.toContain('score.updated');
    annotator.socket.close();
    admin.socket.close();
  });

  it('gives an admin token every call, labeling as that admin', async () => {
    const me = (await (await post('library.status', {}, adminToken)).json()) as {
      me: { name: string; role: string };
    };
    expect(me.me).toEqual(expect.objectContaining({ name: 'ada', role: 'admin' }));
    const list = await post('annotators.list', {}, adminToken);
    expect(list.status).toBe(200);
    const names = ((await list.json()) as { annotators: { name: string }[] }).annotators.map((a) => a.name);
    expect(names).toEqual(expect.arrayContaining(['ada', 'ann']));
  });
});

describe('labeling settings', () => {
  it('serves each item to k annotators under the stored overlap, and only admins change it', async () => {
    const library = api.app.library;
    const a = (await library.createAnnotator('overlap-a')).annotator;
    const b = (await library.createAnnotator('overlap-b')).annotator;
    const asA: AuthInfo = { role: 'annotator', annotatorId: String(a.id) };
    const asB: AuthInfo = { role: 'annotator', annotatorId: String(b.id) };
    await expect(api.call('labeling.setSettings', { overlap: 2, goldRate: 0 }, asA)).rejects.toMatchObject({
      code: 'forbidden',
    });
    await expect(api.call('labeling.setSettings', { overlap: 2, goldRate: 0 }, OWNER)).resolves.toEqual({
      overlap: 2,
      goldRate: 0,
    });
    await expect(api.call('labeling.settings', {}, asB)).resolves.toEqual({ overlap: 2, goldRate: 0 });
    const before = (await api.call('labeling.progress', {}, asB)) as { remaining: number };
    const next = (await api.call('labeling.next', {}, asA)) as {
      item: { comparisonId: number; shownOrder: number[] };
    };
    await api.call(
      'labeling.submit',
      {
        comparisonId: next.item.comparisonId,
        kind: 'tie',
        shownOrder: next.item.shownOrder,
        idempotencyKey: 'overlap-1',
      },
      asA,
    );
    // With k = 2 the item A labeled stays open for B.
    await expect(api.call('labeling.progress', {}, asB)).resolves.toEqual(before);
    await api.call('labeling.setSettings', { overlap: 1, goldRate: 0 }, OWNER);
    const after = (await api.call('labeling.progress', {}, asB)) as { remaining: number };
    expect(after.remaining).toBe(before.remaining - 1);
  });
});

describe('evaluation calls', () => {
  it('computes metric accuracy from stored scores under both conventions', async () => {
    const library = api.app.library;
    const [comparison] = await library.listComparisons({ state: 'unlabeled' });
    const [a, b] = comparison!.images;
    await library.scores.set({
      modelId: 'hps-v2.1',
      imageId: a!.id,
      promptId: comparison!.promptId,
      score: 27,
      cosine: 0.27,
    });
    await library.scores.set({
      modelId: 'hps-v2.1',
      imageId: b!.id,
      promptId: comparison!.promptId,
      score: 25,
      cosine: 0.25,
    });
    const annotator = await library.annotators.ensureImported('imported');
    await library.submitJudgment({
      comparisonId: comparison!.id,
      annotatorId: annotator.id,
      kind: 'choice',
      chosenImageId: a!.id,
      shownOrder: [a!.id, b!.id],
      idempotencyKey: 'eval-1',
    });
    const result = (await api.call('evaluation.metricAccuracy', {}, OWNER)) as {
      models: { modelId: string; dropTies: { accuracy: number; n: number }; halfCredit: { n: number } }[];
    };
    expect(result.models[0]).toMatchObject({
      modelId: 'hps-v2.1',
      dropTies: { accuracy: 1, n: 1 },
      halfCredit: { n: 1 },
    });
    const csv = (await api.call('evaluation.csv', {}, OWNER)) as { csv: string };
    expect(csv.csv.split('\n')[1]).toMatch(/^hps-v2\.1,drop-ties,1,1,/);
    const hist = (await api.call('evaluation.histograms', { bins: 2 }, OWNER)) as {
      histograms: { modelId: string; bins: { count: number }[]; n: number }[];
    };
    expect(hist.histograms[0]).toMatchObject({ modelId: 'hps-v2.1', n: 2 });
    expect(hist.histograms[0]!.bins.map((x) => x.count)).toEqual([1, 1]);
  });

  it('is denied to annotators by the dispatcher', async () => {
    const annotator: AuthInfo = { role: 'annotator', annotatorId: '1' };
    await expect(api.call('evaluation.agreement', {}, annotator)).rejects.toMatchObject({
      code: 'forbidden',
    });
  });
});
