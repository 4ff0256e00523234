// The background scoring job at the service level: cancelled at once it stores nothing and ends cancelled; run
// again it scores every pair and keeps the image embeddings cached (a second prompt costs a text encode); an
// unload during a run cancels it; an unload while generated images are being scored aborts that scoring and
// closes the sessions only after it settled.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createApiServices, type ApiServices } from '../../main/api';
import { closeLibraries, libraryAt } from '../../main/api/library-access';
import { ScorerService } from '../../main/api/scorer-service';
import { fixture, VOCAB } from '../models/clip-fixtures';

let base: string;
let services: ApiServices;
let scorers: ScorerService;

beforeAll(async () => {
  base = await mkdtemp(path.join(tmpdir(), 'hps-scorer-jobs-'));
  const library = libraryAt(path.join(base, 'library'));
  const imageIds: number[] = [];
  for (const name of ['img0_rgb_512x512.png', 'img2_rgb_300x700.png', 'img3_rgb_517x333.png'])
    imageIds.push((await library.addImage(await readFile(fixture(name)))).image.id);
  library.addComparison({ prompt: 'first prompt', imageIds });
  library.addComparison({ prompt: 'second prompt', imageIds });
  services = createApiServices({
    libraryDir: library.dir,
    dataDir: path.join(base, 'data'),
    app: { version: 'test', mode: 'serve', electron: null },
  });
  scorers = ScorerService.of(services);
  await scorers.load({ kind: 'hps-v1', path: fixture('hps_v1_tiny.pt'), vocab: VOCAB, scoreLibrary: false });
}, 60_000);

afterAll(async () => {
  await scorers?.closeAll();
  closeLibraries();
  await rm(base, { recursive: true, force: true });
});

async function settled(jobId: string) {
  await expect
    .poll(() => services.jobs.get(jobId)?.status, { timeout: 60_000, interval: 20 })
    .not.toBe('running');
  return services.jobs.get(jobId)!;
}

const stored = () => libraryAt(services.libraryDir).catalog.scores({ modelId: 'hps_v1_tiny' });

describe('background scoring job', () => {
  it('stops when cancelled, storing nothing of the batch in flight', async () => {
    const [jobId] = scorers.scoreLibrary('hps_v1_tiny');
    expect(services.jobs.cancel(jobId!)).toBe(true);
    expect((await settled(jobId!)).status).toBe('cancelled');
    expect(stored()).toHaveLength(0);
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
    expect(stored()).toHaveLength(6);
    expect(seen).toHaveLength(6);
    // Both prompts' batches are done; the images' embeddings are all in the scorer's cache now.
    const library = libraryAt(services.libraryDir);
    const encodings = await scorers
      .scorer('hps_v1_tiny')!
      .encodeImages(library.listImages().map((image) => library.imagePath(image)));
    expect(encodings.map((e) => e.cached)).toEqual([true, true, true]);
  }, 60_000);

  it('cancels a running job on unload', async () => {
    libraryAt(services.libraryDir).addComparison({
      prompt: 'third prompt',
      imageIds: libraryAt(services.libraryDir)
        .listImages()
        .map((image) => image.id),
    });
    const [jobId] = scorers.scoreLibrary('hps_v1_tiny');
    expect(await scorers.unload('hps_v1_tiny')).toBe(true);
    expect(services.jobs.get(jobId!)!.status).toBe('cancelled');
    expect(scorers.list()).toEqual([]);
  }, 60_000);

  it('aborts scoring of files (generated images) on unload, closing the sessions after it settled', async () => {
    await scorers.load({
      kind: 'hps-v1',
      path: fixture('hps_v1_tiny.pt'),
      vocab: VOCAB,
      scoreLibrary: false,
    });
    const scorer = scorers.scorer('hps_v1_tiny')!;
    const order: string[] = [];
    const realClose = scorer.close.bind(scorer);
    vi.spyOn(scorer, 'close').mockImplementation(() => {
      order.push('close');
      return realClose();
    });
    const files = ['img0_rgb_512x512.png', 'img1_rgb_768x512.png', 'img2_rgb_300x700.png'].map(fixture);
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
