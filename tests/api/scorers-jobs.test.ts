// The background scoring job at the service level: cancelled at once it stores nothing and ends cancelled; run
// again it scores every pair and keeps the image embeddings cached (a second prompt costs a text encode); an
// unload during a run cancels it; an unload while generated images are being scored aborts that scoring and
// closes the sessions only after it settled.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createApp, type App } from '../../main/api';
import { ClipScorer } from '../../main/services/scoring/clip-scorer';
import { fixture, VOCAB } from '../models/clip-fixtures';

let base: string;
let services: App;
let scorers: App['scorers'];

beforeAll(async () => {
  base = await mkdtemp(path.join(tmpdir(), 'hps-scorer-jobs-'));
  services = await createApp({
    libraryDir: path.join(base, 'library'),
    dataDir: path.join(base, 'data'),
    info: { version: 'test', mode: 'serve', electron: null },
  });
  const library = services.library;
  const imageIds: number[] = [];
  for (const name of ['img0_rgb_512x512.png', 'img2_rgb_300x700.png', 'img3_rgb_517x333.png'])
    imageIds.push((await library.addImage(await readFile(fixture(name)))).image.id);
  await library.addComparison({ prompt: 'first prompt', imageIds });
  await library.addComparison({ prompt: 'second prompt', imageIds });
  scorers = services.scorers;
  await scorers.load({ kind: 'hps-v1', path: fixture('hps_v1_tiny.pt'), vocab: VOCAB, scoreLibrary: false });
}, 60_000);

afterAll(async () => {
  await services?.close();
  await rm(base, { recursive: true, force: true });
});

async function settled(jobId: string) {
  await expect
    .poll(() => services.jobs.get(jobId)?.status, { timeout: 60_000, interval: 20 })
    .not.toBe('running');
  return services.jobs.get(jobId)!;
}

/** The loaded scorer's own object: the `this` of its score() when the studio scores files with it. */
async function loadedScorer(id: string, files: string[]): Promise<ClipScorer> {
  const score = vi.spyOn(ClipScorer.prototype, 'score');
  try {
    await scorers.scoreFiles(id, files.slice(0, 1), 'which scorer');
    return score.mock.contexts[0] as ClipScorer;
  } finally {
    score.mockRestore();
  }
}

const stored = () => services.library.scores.list({ modelId: 'hps_v1_tiny' });

describe('background scoring job', () => {
  it('stops when cancelled, storing nothing of the batch in flight', async () => {
    const [jobId] = scorers.scoreLibrary('hps_v1_tiny');
    expect(services.jobs.cancel(jobId!)).toBe(true);
    expect((await settled(jobId!)).status).toBe('cancelled');
    expect(await stored()).toHaveLength(0);
  }, 60_000);

  it('scores every pair when run again, keeping the image embeddings in the scorer’s cache', async () => {
    const seen: string[] = [];
    const off = services.events.subscribe((m) => {
      if (m.event === 'score.updated') seen.push(m.payload.imageId);
    });
    const [jobId] = scorers.scoreLibrary();
    const job = await settled(jobId!);
    off();
    expect(job.status, job.error).toBe('done');
    expect(await stored()).toHaveLength(6);
    expect(seen).toHaveLength(6);
    // Both prompts' batches are done; the images' embeddings are all in the scorer's cache now.
    const library = services.library;
    const files = (await library.listImages()).map((image) => library.imagePath(image));
    const encodings = await (await loadedScorer('hps_v1_tiny', files)).encodeImages(files);
    expect(encodings.map((e) => e.cached)).toEqual([true, true, true]);
  }, 60_000);

  it('cancels a running job on unload', async () => {
    await services.library.addComparison({
      prompt: 'third prompt',
      imageIds: (await services.library.listImages()).map((image) => image.id),
    });
    const [jobId] = scorers.scoreLibrary('hps_v1_tiny');
    expect(await scorers.unload('hps_v1_tiny')).toBe(true);
    expect(services.jobs.get(jobId!)!.status).toBe('cancelled');
    expect(await scorers.list()).toEqual([]);
  }, 60_000);

  it('aborts scoring of files (generated images) on unload, closing the sessions after it settled', async () => {
    await scorers.load({
      kind: 'hps-v1',
      path: fixture('hps_v1_tiny.pt'),
      vocab: VOCAB,
      scoreLibrary: false,
    });
    const files = ['img0_rgb_512x512.png', 'img1_rgb_768x512.png', 'img2_rgb_300x700.png'].map(fixture);
    const scorer = await loadedScorer('hps_v1_tiny', files);
    const order: string[] = [];
    const realClose = scorer.close.bind(scorer);
    vi.spyOn(scorer, 'close').mockImplementation(() => {
      order.push('close');
      return realClose();
    });
    const scoring = scorers.scoreFiles('hps_v1_tiny', files, 'a prompt').then(
      () => order.push('scored'),
      (error: Error) => order.push(`aborted: ${error.message}`),
    );
    expect(await scorers.unload('hps_v1_tiny')).toBe(true);
    await scoring;
    expect(order).toEqual(['aborted: hps_v1_tiny was unloaded', 'close']);
    await expect(scorers.scoreFiles('hps_v1_tiny', files, 'a prompt')).rejects.toThrow(/was unloaded/);
  }, 60_000);
});
