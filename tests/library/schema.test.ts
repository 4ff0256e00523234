import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { Library, SCHEMA_VERSION } from '../../main/services/library';
import { currentVersion, migrate, MIGRATIONS } from '../../main/services/library/schema';
import { makeJpeg, makePng, tempDir } from './helpers';

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((cleanup) => cleanup()));
function folder(): string {
  const { dir, cleanup } = tempDir();
  cleanups.push(cleanup);
  return dir;
}

describe('library schema', () => {
  it('creates every table at the current version with WAL, FULL sync and foreign keys on', () => {
    const lib = Library.open(folder());
    const tables = (
      lib.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as {
        name: string;
      }[]
    ).map((t) => t.name);
    expect(tables).toEqual([
      'annotators',
      'comparison_images',
      'comparison_tags',
      'comparisons',
      'image_tags',
      'images',
      'judgments',
      'prompts',
      'schema_version',
      'score_failures',
      'scores',
      'tags',
    ]);
    expect(currentVersion(lib.db)).toBe(SCHEMA_VERSION);
    expect(lib.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(lib.db.pragma('synchronous', { simple: true })).toBe(2); // 2 = FULL
    expect(lib.db.pragma('foreign_keys', { simple: true })).toBe(1);
    lib.close();
  });

  it('reopens without re-running migrations and keeps data', async () => {
    const dir = folder();
    const lib = Library.open(dir);
    lib.ensurePrompt('a red cube');
    lib.close();
    const again = Library.open(dir);
    expect(again.listPrompts().map((p) => p.text)).toEqual(['a red cube']);
    expect((again.db.prepare('SELECT COUNT(*) AS n FROM schema_version').get() as { n: number }).n).toBe(1);
    again.close();
  });

  it('applies numbered migrations in order and rolls back a failing one with its version bump', () => {
    const db = new Database(path.join(folder(), 'm.sqlite'));
    expect(migrate(db, ['CREATE TABLE a (x INTEGER)'])).toBe(1);
    expect(currentVersion(db)).toBe(1);
    expect(() =>
      migrate(db, ['CREATE TABLE a (x INTEGER)', 'CREATE TABLE b (y INTEGER); CREATE TABLE b (z)']),
    ).toThrow();
    expect(currentVersion(db)).toBe(1);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'b'").get()).toBeUndefined();
    expect(migrate(db, ['CREATE TABLE a (x INTEGER)', 'CREATE TABLE b (y INTEGER)'])).toBe(2);
    expect(() => migrate(db, ['CREATE TABLE a (x INTEGER)'])).toThrow(/newer than this app supports/);
    db.close();
  });

  it('migration 2 back-fills label counts (skips excluded) and triggers keep them current', () => {
    const dir = folder();
    const db = new Database(path.join(dir, 'library.sqlite'));
    migrate(db, MIGRATIONS.slice(0, 1));
    db.exec(`
      INSERT INTO prompts (id, text, created_at) VALUES (1, 'p', 't');
      INSERT INTO images (id, hash, ext, width, height, byte_size, created_at)
        VALUES (1, '${'a'.repeat(64)}', 'png', 1, 1, 1, 't'), (2, '${'b'.repeat(64)}', 'png', 1, 1, 1, 't');
      INSERT INTO comparisons (id, prompt_id, signature, created_at) VALUES (1, 1, '1,2', 't');
      INSERT INTO comparison_images VALUES (1, 0, 1), (1, 1, 2);
      INSERT INTO annotators (id, name, role, created_at) VALUES (1, 'a', 'annotator', 't'), (2, 'b', 'annotator', 't'),
        (3, 'c', 'annotator', 't');
      INSERT INTO judgments (comparison_id, annotator_id, kind, shown_order, created_at, idempotency_key)
        VALUES (1, 1, 'tie', '[1,2]', 't', 'k1'), (1, 2, 'skip', '[1,2]', 't', 'k2');
    `);
    db.close();
    const lib = Library.open(dir);
    expect(currentVersion(lib.db)).toBe(SCHEMA_VERSION);
    const labels = () =>
      (lib.db.prepare('SELECT label_count AS n FROM comparisons WHERE id = 1').get() as { n: number }).n;
    expect(labels()).toBe(1);
    lib.submitJudgment({
      comparisonId: 1,
      annotatorId: 3,
      kind: 'both-bad',
      shownOrder: [2, 1],
      idempotencyKey: 'k3',
    });
    expect(labels()).toBe(2);
    lib.undoLastJudgment(3);
    lib.undoLastJudgment(2); // a skip: not counted either way
    expect(labels()).toBe(1);
    lib.close();
  });

  it('migration 3 adds the score failures of a version-2 library, keeping its scores', () => {
    const dir = folder();
    const db = new Database(path.join(dir, 'library.sqlite'));
    migrate(db, MIGRATIONS.slice(0, 2));
    db.exec(`
      INSERT INTO prompts (id, text, created_at) VALUES (1, 'p', 't');
      INSERT INTO images (id, hash, ext, width, height, byte_size, created_at)
        VALUES (1, '${'a'.repeat(64)}', 'png', 1, 1, 1, 't');
      INSERT INTO scores VALUES ('m', 1, 1, 0.5, NULL, 't');
    `);
    db.close();
    const lib = Library.open(dir);
    expect(currentVersion(lib.db)).toBe(SCHEMA_VERSION);
    expect(lib.scores.list()).toHaveLength(1);
    expect(lib.scores.failures('m')).toEqual([]);
    lib.scores.recordFailure({ modelId: 'm', imageId: 1, error: 'unreadable' });
    expect(lib.scores.failures('m')).toEqual([
      { modelId: 'm', imageId: 1, error: 'unreadable', failedAt: expect.any(String) },
    ]);
    // A failure for an image the library does not have is not recorded.
    lib.scores.recordFailure({ modelId: 'm', imageId: 99, error: 'unreadable' });
    expect(lib.db.prepare('SELECT COUNT(*) AS n FROM score_failures').get()).toEqual({ n: 1 });
    lib.close();
  });

  it('migration 4 drops the unused jobs table of a version-3 library, keeping its data', () => {
    const dir = folder();
    const db = new Database(path.join(dir, 'library.sqlite'));
    migrate(db, MIGRATIONS.slice(0, 3));
    db.exec(`
      INSERT INTO prompts (id, text, created_at) VALUES (1, 'p', 't');
      INSERT INTO images (id, hash, ext, width, height, byte_size, created_at)
        VALUES (1, '${'a'.repeat(64)}', 'png', 1, 1, 1, 't'), (2, '${'b'.repeat(64)}', 'png', 1, 1, 1, 't');
      INSERT INTO comparisons (id, prompt_id, signature, created_at) VALUES (1, 1, '1,2', 't');
      INSERT INTO comparison_images VALUES (1, 0, 1), (1, 1, 2);
      INSERT INTO annotators (id, name, role, created_at) VALUES (1, 'a', 'annotator', 't');
      INSERT INTO judgments (comparison_id, annotator_id, kind, shown_order, created_at, idempotency_key)
        VALUES (1, 1, 'tie', '[1,2]', 't', 'k1');
      INSERT INTO scores VALUES ('m', 1, 1, 0.5, NULL, 't');
      INSERT INTO jobs (id, kind, state, created_at, updated_at) VALUES ('j', 'score', 'done', 't', 't');
    `);
    db.close();
    const lib = Library.open(dir);
    expect(currentVersion(lib.db)).toBe(4);
    expect(lib.db.prepare("SELECT name FROM sqlite_master WHERE name = 'jobs'").get()).toBeUndefined();
    expect(lib.stats()).toMatchObject({ images: 2, comparisons: 1, judgments: 1 });
    expect(lib.judgments.list().map((j) => j.idempotencyKey)).toEqual(['k1']);
    expect(lib.scores.list()).toEqual([{ modelId: 'm', imageId: 1, promptId: 1, score: 0.5, cosine: null }]);
    lib.close();
  });

  it('enforces foreign keys', () => {
    const lib = Library.open(folder());
    expect(() =>
      lib.db
        .prepare("INSERT INTO comparisons (prompt_id, signature, created_at) VALUES (999, '1,2', 'x')")
        .run(),
    ).toThrow(/FOREIGN KEY/);
    lib.close();
  });
});

describe('content-addressed images', () => {
  it('stores bytes under images/ab/cdef….ext by sha256 and detects duplicates', async () => {
    const dir = folder();
    const lib = Library.open(dir);
    const png = await makePng(1);
    const first = await lib.addImage(png, { source: 'test' });
    const hash = (await import('node:crypto')).createHash('sha256').update(png).digest('hex');
    expect(first.duplicate).toBe(false);
    expect(first.image).toMatchObject({ hash, ext: 'png', width: 24, height: 16, byteSize: png.byteLength });
    const stored = path.join(dir, 'images', hash.slice(0, 2), `${hash.slice(2)}.png`);
    expect(lib.imagePath(first.image)).toBe(stored);
    expect(readFileSync(stored).equals(png)).toBe(true);
    const second = await lib.addImage(png);
    expect(second).toEqual({ image: first.image, duplicate: true });
    const jpeg = await lib.addImage(await makeJpeg(2));
    expect(jpeg.image.ext).toBe('jpg');
    expect(lib.stats().images).toBe(2);
    lib.close();
  });

  it('rejects bytes that are not an image', async () => {
    const lib = Library.open(folder());
    await expect(lib.addImage(Buffer.from('definitely not a png'))).rejects.toThrow(/not a readable image/);
    const png = await makePng(3);
    await expect(lib.addImage(png.subarray(0, png.length / 2))).rejects.toThrow(/not a readable image/);
    expect(lib.stats().images).toBe(0);
    lib.close();
  });

  it('creates a 256 px WebP thumbnail lazily and caches it', async () => {
    const dir = folder();
    const lib = Library.open(dir);
    const { image } = await lib.addImage(await makePng(4, 600, 300));
    const expected = path.join(dir, 'thumbs', '256', image.hash.slice(0, 2), `${image.hash.slice(2)}.webp`);
    expect(existsSync(expected)).toBe(false);
    const thumb = await lib.thumbnailPath(image.id);
    expect(thumb).toBe(expected);
    const sharp = (await import('sharp')).default;
    expect(await sharp(thumb).metadata()).toMatchObject({ format: 'webp', width: 256, height: 128 });
    expect(await lib.thumbnailPath(image.id)).toBe(expected);
    lib.close();
  });
});
