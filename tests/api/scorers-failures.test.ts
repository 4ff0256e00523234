// A library image a loaded scorer cannot read: scorers.list counts it ("N images could not be scored"), the
// next scoreLibrary skips it (the job ends without reading it again), and scoreLibrary with retryFailed reads it
// again and, once the file is good, scores it and clears the count.
import { writeFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi, type MockInstance } from 'vitest';
import { createApi, createApp, OWNER, type Api } from '../../main/api';
import type { Scorer } from '../../main/services/scoring';
import { ClipScorer } from '../../main/services/scoring/clip-scorer';
import { fixture, VOCAB } from '../models/clip-fixtures';

const ID = 'hps_v1_tiny';
let base: string;
let api: Api;
let corrupt: { id: number; path: string; bytes: Buffer };

beforeAll(async () => {
  base = await mkdtemp(path.join(tmpdir(), 'hps-scorer-failures-'));
  api = createApi(
    await createApp({
      libraryDir: path.join(base, 'library'),
      dataDir: path.join(base, 'data'),
      info: { version: 'test', mode: 'serve', electron: null },
    }),
  );
  const library = api.app.library;
  const imageIds: number[] = [];
  for (const name of ['img0_rgb_512x512.png', 'img3_rgb_517x333.png'])
    imageIds.push((await library.addImage(await readFile(fixture(name)))).image.id);
  await library.addComparison({ prompt: 'a red bird', imageIds });
  const image = (await library.getImage(imageIds[0]!))!;
  corrupt = { id: image.id, path: library.imagePath(image), bytes: await readFile(library.imagePath(image)) };
  writeFileSync(corrupt.path, Buffer.from('truncated'));
}, 60_000);

afterAll(async () => {
  await api?.app.close();
  await rm(base, { recursive: true, force: true });
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- outputs are checked field by field
const call = (name: string, input: unknown = {}): Promise<any> => api.call(name, input, OWNER);

async function settled(jobId: string) {
  await expect
    .poll(() => api.app.jobs.get(jobId)?.status, { timeout: 60_000, interval: 20 })
    .not.toBe('running');
  return api.app.jobs.get(jobId)!;
}

const listed = async () => (await call('scorers.list')).scorers[0];

describe('scorers and images they cannot read', () => {
  let score: MockInstance<Scorer['score']>;

  it('counts the unreadable image after the first run', async () => {
    const { scorer } = await call('scorers.load', { path: fixture('hps_v1_tiny.pt'), vocab: VOCAB });
    expect(scorer.failed).toBe(0);
    // The loaded scorer is the one ClipScorer: its score() is what a run would call.
    score = vi.spyOn(ClipScorer.prototype, 'score');
    expect((await settled(scorer.jobId)).status).toBe('done');
    expect(await listed()).toMatchObject({ id: ID, failed: 1, jobId: null });
    expect(await api.app.library.scores.list({ modelId: ID })).toHaveLength(1);
  }, 60_000);

  it('skips it on the next run', async () => {
    score.mockClear();
    const { jobIds } = await call('scorers.scoreLibrary', { id: ID });
    expect((await settled(jobIds[0])).status).toBe('done');
    expect(score).not.toHaveBeenCalled();
    expect((await listed()).failed).toBe(1);
  }, 60_000);

  it('retries it with retryFailed, and clears the count once the file reads', async () => {
    score.mockClear();
    let { jobIds } = await call('scorers.scoreLibrary', { retryFailed: true });
    expect((await settled(jobIds[0])).status).toBe('done');
    expect(score.mock.calls.flatMap(([images]) => images)).toEqual([corrupt.path]);
    expect((await listed()).failed).toBe(1);

    writeFileSync(corrupt.path, corrupt.bytes);
    ({ jobIds } = await call('scorers.scoreLibrary', { id: ID, retryFailed: true }));
    expect((await settled(jobIds[0])).status).toBe('done');
    expect((await listed()).failed).toBe(0);
    expect(await api.app.library.scores.list({ modelId: ID })).toHaveLength(2);
  }, 60_000);

  it('refuses a retry for a scorer that is not loaded', async () => {
    await expect(call('scorers.scoreLibrary', { id: 'nope', retryFailed: true })).rejects.toThrow(
      /no loaded scorer/,
    );
  });
});
