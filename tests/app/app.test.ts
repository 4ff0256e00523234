// The composition root: close() leaves no worker thread and no session behind (scorer sessions, the warm
// generation pipelines), and two studios on one library folder each keep their own connection.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../main/api';
import type { SqliteDatabase } from '../../main/services/library/sql/sqlite';
import { clipVocab, tinyModel } from '../api/generate-helpers';
import { fixture, VOCAB } from '../models/clip-fixtures';

const bases: string[] = [];

afterAll(async () => {
  for (const base of bases) await rm(base, { recursive: true, force: true });
});

async function studio(base?: string): Promise<App> {
  const dir = base ?? (await mkdtemp(path.join(tmpdir(), 'hps-app-')));
  if (!base) bases.push(dir);
  return await createApp({
    libraryDir: path.join(dir, 'library'),
    dataDir: path.join(dir, 'data'),
    info: { version: 'test', mode: 'serve', electron: null },
  });
}

/** Worker threads of this process, from Node's diagnostic report (there is no other public count). */
const workerThreads = () => (process.report.getReport() as { workers: unknown[] }).workers.length;

describe('App', () => {
  it('close() stops every worker thread and session it started', async () => {
    const before = workerThreads();
    const app = await studio();
    const imageIds = [];
    for (const name of ['img0_rgb_512x512.png', 'img2_rgb_300x700.png'])
      imageIds.push((await app.library.addImage(await readFile(fixture(name)))).image.id);
    await app.library.addComparison({ prompt: 'a red bird', imageIds });
    await app.scorers.load({
      kind: 'hps-v1',
      path: fixture('hps_v1_tiny.pt'),
      vocab: VOCAB,
      scoreLibrary: false,
    });
    const settings = {
      model: tinyModel,
      vocab: clipVocab,
      prompt: 'a red cube',
      negative: '',
      steps: 2,
      cfg: 7.5,
      seed: 1,
      scheduler: 'euler' as const,
      width: 32,
      height: 32,
      batch: 1,
      loras: [],
      ep: 'cpu' as const,
    };
    const batch = await app.generation.start(settings).done;
    // The loaded scorer gave the generated image its chip.
    expect(Object.keys(batch.images[0]!.scores)).toEqual(['hps_v1_tiny']);
    expect(workerThreads()).toBeGreaterThanOrEqual(before + 2);
    const library = app.library;

    await app.close();

    expect(workerThreads()).toBe(before);
    expect(await app.scorers.list()).toEqual([]);
    expect((library.db as SqliteDatabase).connection.open).toBe(false);
    await expect(app.close()).resolves.toBeUndefined();
  }, 180_000);

  it('close() cancels running jobs and waits for them to stop', async () => {
    const app = await studio();
    let stopped = false;
    const { id } = app.jobs.start({ kind: 'test', title: 'waits for cancel' }, async (job) => {
      await new Promise((resolve) => job.signal.addEventListener('abort', resolve));
      await new Promise((resolve) => setTimeout(resolve, 20));
      stopped = true;
    });
    await app.close();
    expect(stopped).toBe(true);
    expect(app.jobs.get(id)?.status).toBe('cancelled');
  });

  it('two studios on one folder do not interfere: each has its own connection, closed on its own', async () => {
    const first = await studio();
    const second = await studio(path.dirname(first.libraryDir));
    expect(second.library).not.toBe(first.library);
    const { image } = await first.library.addImage(await readFile(fixture('img0_rgb_512x512.png')));
    expect((await second.library.getImage(image.id))?.hash).toBe(image.hash);
    const secondLibrary = second.library;
    await first.close();
    expect((secondLibrary.db as SqliteDatabase).connection.open).toBe(true);
    expect((await second.library.stats()).images).toBe(1);
    await second.close();
  });
});
