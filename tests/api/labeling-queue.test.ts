// The admin's "label next" queue (active learning → Compare) through the real dispatcher.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApi, createApp, type Api, type AuthInfo, OWNER } from '../../main/api';

const COMPARISONS = 6;

let dir: string;
let api: Api;
let ids: number[];

interface Next {
  item: { comparisonId: number; shownOrder: number[] } | null;
}

const png = (shade: number) =>
  sharp({ create: { width: 8, height: 8, channels: 3, background: { r: shade, g: 40, b: 90 } } })
    .png()
    .toBuffer();

async function annotator(name: string): Promise<AuthInfo> {
  const created = (await api.app.library.createAnnotator(name)).annotator;
  return { role: 'annotator', annotatorId: String(created.id) };
}

async function next(auth: AuthInfo, exclude: number[] = []): Promise<number | null> {
  return ((await api.call('labeling.next', { exclude }, auth)) as Next).item?.comparisonId ?? null;
}

async function judge(auth: AuthInfo, key: string): Promise<number | null> {
  const { item } = (await api.call('labeling.next', {}, auth)) as Next;
  if (!item) return null;
  const submit = {
    comparisonId: item.comparisonId,
    kind: 'tie',
    shownOrder: item.shownOrder,
    idempotencyKey: key,
  };
  await api.call('labeling.submit', submit, auth);
  return item.comparisonId;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hps-api-queue-'));
  api = createApi(
    await createApp({
      libraryDir: join(dir, 'library'),
      info: { version: 'test', mode: 'serve', electron: null },
    }),
  );
  const library = api.app.library;
  ids = [];
  for (let c = 0; c < COMPARISONS; c++) {
    const images = [await png(c * 30), await png(c * 30 + 15)];
    ids.push((await library.addGenerated({ prompt: `queued prompt ${c}`, images })).comparison.id);
  }
});

afterAll(async () => {
  await api?.app.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('labeling queue', () => {
  it('answers 403 to annotators who set or clear it, and 400 to unknown comparisons', async () => {
    const ann = await annotator('queue-denied');
    const body = { comparisonIds: [ids[0]!], source: 'uncertainty' };
    await expect(api.call('labeling.setQueue', body, ann)).rejects.toMatchObject({ code: 'forbidden' });
    await expect(api.call('labeling.clearQueue', {}, ann)).rejects.toMatchObject({ code: 'forbidden' });
    await expect(
      api.call('labeling.setQueue', { comparisonIds: [999_999], source: 'uncertainty' }, OWNER),
    ).rejects.toMatchObject({ code: 'bad_request' });
    await expect(api.call('labeling.queue', {}, ann)).resolves.toBeNull();
  });

  it('serves the queued comparisons first, in order, and never one twice to the same annotator', async () => {
    await api.call('labeling.setSettings', { overlap: 2, goldRate: 0 }, OWNER);
    const queue = [ids[5]!, ids[2]!, ids[4]!];
    await expect(
      api.call('labeling.setQueue', { comparisonIds: queue, source: 'disagreement' }, OWNER),
    ).resolves.toEqual({ source: 'disagreement', size: 3, left: 3 });
    const a = await annotator('queue-a');
    const b = await annotator('queue-b');
    // The client's held items are skipped, as in the normal assignment.
    expect(await next(a, [queue[0]!])).toBe(queue[1]);

    const servedToA: number[] = [];
    for (let i = 0; i < COMPARISONS + 1; i++) {
      const id = await judge(a, `queue-a-${i}`);
      if (id !== null) servedToA.push(id);
    }
    expect(servedToA.slice(0, 3)).toEqual(queue);
    expect(new Set(servedToA).size).toBe(COMPARISONS);
    await expect(api.call('labeling.queue', {}, a)).resolves.toMatchObject({ left: 0, size: 3 });

    // Overlap 2: B is still served the queue, in order, after A labeled it.
    await expect(api.call('labeling.queue', {}, b)).resolves.toMatchObject({ left: 3 });
    expect(await judge(b, 'queue-b-0')).toBe(queue[0]);
    expect(await next(b)).toBe(queue[1]);

    // A third annotator: every queued item has reached k = 2 except the two B has not labeled yet.
    const c = await annotator('queue-c');
    await expect(api.call('labeling.queue', {}, c)).resolves.toMatchObject({ left: 2 });
    expect(await next(c)).toBe(queue[1]);
  });

  it('goes back to the normal assignment once cleared', async () => {
    await api.call('labeling.setSettings', { overlap: 1, goldRate: 0 }, OWNER);
    const queued = ids[0]!;
    await api.call('labeling.setQueue', { comparisonIds: [queued], source: 'uncertainty' }, OWNER);
    const d = await annotator('queue-d');
    // Overlap 1 and A labeled everything: nothing is open, queued or not.
    expect(await next(d)).toBeNull();

    await api.call('labeling.setSettings', { overlap: 3, goldRate: 0 }, OWNER);
    for (let i = 0; i < 5; i++) expect(await next(d)).toBe(queued);
    await expect(api.call('labeling.clearQueue', {}, OWNER)).resolves.toEqual({ cleared: true });
    await expect(api.call('labeling.queue', {}, d)).resolves.toBeNull();
    // The normal assignment serves the item closest to its overlap first: ids[5], the only one with two
    // labels (A and B); every other has one.
    for (let i = 0; i < 5; i++) expect(await next(d)).toBe(ids[5]);
    await expect(api.call('labeling.clearQueue', {}, OWNER)).resolves.toEqual({ cleared: false });
  });
});
