// Background library scoring and images it cannot read: a corrupt file is read once per run (not once per
// prompt), recorded in the library, skipped by later runs, tried again with retryFailed, tried again when its
// image row changes, and forgotten once it scores; deleting the image drops its failure.
import { writeFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi, type MockInstance } from 'vitest';
import { Library } from '../../main/services/library';
import { sha256Hex } from '../../main/services/library/imageStore';
import { createScorer, type Scorer } from '../../main/services/scoring';
import { scoreLibrary } from '../../main/services/scoring/jobs';
import { fixture, VOCAB } from '../models/clip-fixtures';

const MODEL = 'hps_v1_tiny';
let base: string;
let library: Library;
let scorer: Scorer;
let score: MockInstance<Scorer['score']>;
let corrupt: { id: number; path: string; bytes: Buffer };

beforeAll(async () => {
  base = await mkdtemp(path.join(tmpdir(), 'hps-score-failures-'));
  library = await Library.open(path.join(base, 'library'));
  const ids: number[] = [];
  for (const name of ['img0_rgb_512x512.png', 'img2_rgb_300x700.png', 'img3_rgb_517x333.png'])
    ids.push((await library.addImage(await readFile(fixture(name)))).image.id);
  await library.addComparison({ prompt: 'a red bird', imageIds: ids });
  await library.addComparison({ prompt: 'a castle at night', imageIds: ids });
  const image = (await library.getImage(ids[1]!))!;
  corrupt = { id: image.id, path: library.imagePath(image), bytes: await readFile(library.imagePath(image)) };
  // The stored file goes bad after import (a bad disk, a half-copied library folder).
  writeFileSync(corrupt.path, Buffer.from('not an image'));
  scorer = await createScorer({ kind: 'hps-v1', model: fixture('hps_v1_tiny.pt'), vocab: VOCAB });
  score = vi.spyOn(scorer, 'score');
}, 60_000);

afterAll(async () => {
  await scorer?.close();
  await library?.close();
  await rm(base, { recursive: true, force: true });
});

/** How often the last run asked the scorer for the corrupt file. */
function readsOfCorrupt(): number {
  const reads = score.mock.calls.flatMap(([images]) => images).filter((image) => image === corrupt.path);
  score.mockClear();
  return reads.length;
}

const failures = () => library.scores.failures(MODEL);

describe('images that cannot be scored', () => {
  it('are tried once per run and recorded', async () => {
    const result = await scoreLibrary(library, scorer, MODEL, { batchSize: 2 });
    expect(readsOfCorrupt()).toBe(1);
    expect(result.scored).toBe(4);
    expect(result.failed.map((f) => f.imageId)).toEqual([corrupt.id]);
    expect(await failures()).toEqual([
      expect.objectContaining({ modelId: MODEL, imageId: corrupt.id, error: result.failed[0]!.error }),
    ]);
    // Another scorer has its own record.
    expect(await library.scores.failures('another-scorer')).toEqual([]);
  }, 60_000);

  it('are skipped by the next run', async () => {
    const result = await scoreLibrary(library, scorer, MODEL);
    expect(readsOfCorrupt()).toBe(0);
    expect(score).not.toHaveBeenCalled();
    expect(result).toEqual({ scored: 0, failed: [] });
    expect(await failures()).toHaveLength(1);
  });

  it('are tried again with retryFailed, and stay recorded while they still fail', async () => {
    const before = (await failures())[0]!.failedAt;
    const result = await scoreLibrary(library, scorer, MODEL, { retryFailed: true });
    expect(readsOfCorrupt()).toBe(1);
    expect(result.failed.map((f) => f.imageId)).toEqual([corrupt.id]);
    expect(await failures()).toHaveLength(1);
    expect((await failures())[0]!.failedAt >= before).toBe(true);
  }, 60_000);

  it('are tried again when the image row changed, and forgotten once they score', async () => {
    // A repaired row: the image's bytes under a new hash (what a re-import that fixes the file would leave).
    const hash = sha256Hex(corrupt.bytes).replace(/^./, (c) => (c === '0' ? '1' : '0'));
    const row = (await library.getImage(corrupt.id))!;
    const repaired = library.imagePath({ hash, ext: row.ext });
    library.images.put(hash, row.ext, corrupt.bytes);
    await library.db.run('UPDATE images SET hash = ? WHERE id = ?', [hash, corrupt.id]);
    expect(await failures()).toEqual([]);
    const result = await scoreLibrary(library, scorer, MODEL);
    const asked = score.mock.calls.flatMap(([images]) => images);
    score.mockClear();
    expect(asked.filter((image) => image === repaired)).toHaveLength(2);
    expect(result).toEqual({ scored: 2, failed: [] });
    expect(await library.db.get('SELECT COUNT(*) AS n FROM score_failures')).toEqual({ n: 0 });
  }, 60_000);

  it('disappear with their image', async () => {
    await library.scores.recordFailure({ modelId: MODEL, imageId: corrupt.id, error: 'unreadable' });
    expect(await failures()).toHaveLength(1);
    await library.db.run('DELETE FROM comparison_images WHERE image_id = ?', [corrupt.id]);
    await library.db.run('DELETE FROM images WHERE id = ?', [corrupt.id]);
    expect(await library.db.get('SELECT COUNT(*) AS n FROM score_failures')).toEqual({ n: 0 });
  });
});
