// Stopping the studio frees what the live readouts hold: closing an in-process server while a loaded scorer's
// background job runs cancels the job, closes the scorer's sessions and the library, without an unhandled
// rejection; `hps-studio serve` does the same on SIGINT/SIGTERM and exits 0.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createApp } from '../../main/api';
import type { SqliteDatabase } from '../../main/services/library/sql/sqlite';
import { ClipScorer } from '../../main/services/scoring/clip-scorer';
import { withLibrary } from '../library/open-library';
import { fixture, VOCAB } from '../models/clip-fixtures';
import { repoRoot, startTestApi } from './generate-helpers';

const bases: string[] = [];

afterAll(async () => {
  for (const base of bases) await rm(base, { recursive: true, force: true });
});

/** Three images under eight prompts: enough pairs that the scoring job still runs when the server closes. */
async function smallLibrary(dir: string): Promise<void> {
  await withLibrary(dir, async (library) => {
    const imageIds: number[] = [];
    for (const name of ['img0_rgb_512x512.png', 'img1_rgb_768x512.png', 'img2_rgb_300x700.png'])
      imageIds.push((await library.addImage(await readFile(fixture(name)))).image.id);
    for (let i = 0; i < 8; i++) await library.addComparison({ prompt: `prompt number ${i}`, imageIds });
  });
}

describe('shutdown', () => {
  it('closing the server cancels scoring and closes the scorers and the library', async () => {
    const rejections: unknown[] = [];
    const onRejection = (reason: unknown) => rejections.push(reason);
    process.on('unhandledRejection', onRejection);
    try {
      const t = await startTestApi('hps-shutdown-', smallLibrary);
      bases.push(t.base);
      const { scorer } = await t.call('scorers.load', { path: fixture('hps_v1_tiny.pt'), vocab: VOCAB });
      expect(scorer.jobId).toEqual(expect.any(String));
      const service = t.app.scorers;
      const close = vi.spyOn(ClipScorer.prototype, 'close');
      const library = t.app.library;

      await t.server.close();

      expect(close).toHaveBeenCalledOnce();
      close.mockRestore();
      expect(await service.list()).toEqual([]);
      expect(t.app.jobs.get(scorer.jobId)?.status).toBe('cancelled');
      expect((library.db as SqliteDatabase).connection.open).toBe(false);
      // Shut down, the service takes no new scorer (nothing would close it).
      await expect(
        service.load({ kind: 'hps-v1', path: fixture('hps_v1_tiny.pt'), vocab: VOCAB, scoreLibrary: false }),
      ).rejects.toThrow(/shutting down/);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(rejections).toEqual([]);
    } finally {
      process.off('unhandledRejection', onRejection);
    }
  }, 60_000);

  it('a studio that never loaded a scorer closes its library, and refuses the library after', async () => {
    const base = await mkdtemp(path.join(tmpdir(), 'hps-shutdown-bare-'));
    bases.push(base);
    const app = await createApp({
      libraryDir: path.join(base, 'library'),
      dataDir: path.join(base, 'data'),
      info: { version: 'test', mode: 'serve', electron: null },
    });
    const library = app.library;
    await app.close();
    expect((library.db as SqliteDatabase).connection.open).toBe(false);
    expect(() => app.library).toThrow(/closed/);
  });

  it.each(['SIGINT', 'SIGTERM'] as const)(
    '`serve` unloads the scorers and exits 0 on %s',
    async (signal) => {
      const base = await mkdtemp(path.join(tmpdir(), 'hps-shutdown-serve-'));
      bases.push(base);
      const child = spawn(
        process.execPath,
        [
          path.join(repoRoot, 'bin/hps-studio.mjs'),
          'serve',
          '--library',
          path.join(base, 'library'),
          '--data',
          path.join(base, 'data'),
          '--port',
          '0',
        ],
        { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
      await expect.poll(() => /Open (http\S+)/.exec(out)?.[1], { timeout: 60_000 }).toBeTruthy();
      const url = /Open (http\S+)/.exec(out)![1]!;
      const res = await fetch(new URL('api/scorers.load', url), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ path: fixture('hps_v1_tiny.pt'), vocab: VOCAB, scoreLibrary: false }),
      });
      expect(res.status).toBe(200);
      child.kill(signal);
      expect(await exited).toBe(0);
      expect(out).toMatch(/Stopping: cancelling scoring jobs/);
      expect(out).toMatch(/Stopped\.\n/);
    },
    90_000,
  );
});
