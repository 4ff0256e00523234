import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { Library, SCHEMA_VERSION } from '../../main/services/library';
import { currentVersion, migrate, MIGRATIONS } from '../../main/services/library/schema';
import { ConstraintViolation } from '../../main/services/library/sql/database';
import { SqliteDatabase } from '../../main/services/library/sql/sqlite';
import { makeJpeg, makePng, tempDir } from './helpers';

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((cleanup) => cleanup()));
function folder(): string {
  const { dir, cleanup } = tempDir();
  cleanups.push(cleanup);
  return dir;
}
/** The better-sqlite3 handle under a library opened on SQLite, for checks only SQLite has (pragmas, sqlite_master). */
const sqlite = (lib: Library) => (lib.db as SqliteDatabase).connection;

describe('library schema', () => {
  it('creates every table at the current version with WAL, FULL sync and foreign keys on', async () => {
    const lib = await Library.open(folder());
    const tables = (
      sqlite(lib).prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as {
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
    expect(await currentVersion(lib.db)).toBe(SCHEMA_VERSION);
    expect(sqlite(lib).pragma('journal_mode', { simple: true })).toBe('wal');
    expect(sqlite(lib).pragma('synchronous', { simple: true })).toBe(2); // 2 = FULL
    expect(sqlite(lib).pragma('foreign_keys', { simple: true })).toBe(1);
    await lib.close();
  });

  it('reopens without re-running migrations and keeps data', async () => {
    const dir = folder();
    const lib = await Library.open(dir);
    await lib.ensurePrompt('a red cube');
    await lib.close();
    const again = await Library.open(dir);
    expect((await again.listPrompts()).map((p) => p.text)).toEqual(['a red cube']);
    expect((await again.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM schema_version'))!.n).toBe(1);
    await again.close();
  });

  it('applies numbered migrations in order and rolls back a failing one with its version bump', async () => {
    const raw = new Database(path.join(folder(), 'm.sqlite'));
    const db = new SqliteDatabase(raw);
    expect(await migrate(db, ['CREATE TABLE a (x INTEGER)'])).toBe(1);
    expect(await currentVersion(db)).toBe(1);
    await expect(
      migrate(db, ['CREATE TABLE a (x INTEGER)', 'CREATE TABLE b (y INTEGER); CREATE TABLE b (z)']),
    ).rejects.toThrow();
    expect(await currentVersion(db)).toBe(1);
    expect(raw.prepare("SELECT name FROM sqlite_master WHERE name = 'b'").get()).toBeUndefined();
    expect(await migrate(db, ['CREATE TABLE a (x INTEGER)', 'CREATE TABLE b (y INTEGER)'])).toBe(2);
    await expect(migrate(db, ['CREATE TABLE a (x INTEGER)'])).rejects.toThrow(/newer than this app supports/);
    await db.close();
  });

  it('migration 2 back-fills label counts (skips excluded) and triggers keep them current', async () => {
    const dir = folder();
    const db = new Database(path.join(dir, 'library.sqlite'));
    await migrate(new SqliteDatabase(db), MIGRATIONS.slice(0, 1));
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
    const lib = await Library.open(dir);
    expect(await currentVersion(lib.db)).toBe(SCHEMA_VERSION);
    const labels = async () =>
      (await lib.db.get<{ n: number }>('SELECT label_count AS n FROM comparisons WHERE id = 1'))!.n;
    expect(await labels()).toBe(1);
    await lib.submitJudgment({
      comparisonId: 1,
      annotatorId: 3,
      kind: 'both-bad',
      shownOrder: [2, 1],
      idempotencyKey: 'k3',
    });
    expect(await labels()).toBe(2);
    await lib.undoLastJudgment(3);
    await lib.undoLastJudgment(2); // a skip: not counted either way
    expect(await labels()).toBe(1);
    await lib.close();
  });

  it('migration 3 adds the score failures of a version-2 library, keeping its scores', async () => {
    const dir = folder();
    const db = new Database(path.join(dir, 'library.sqlite'));
    await migrate(new SqliteDatabase(db), MIGRATIONS.slice(0, 2));
    db.exec(`
      INSERT INTO prompts (id, text, created_at) VALUES (1, 'p', 't');
      INSERT INTO images (id, hash, ext, width, height, byte_size, created_at)
        VALUES (1, '${'a'.repeat(64)}', 'png', 1, 1, 1, 't');
      INSERT INTO scores VALUES ('m', 1, 1, 0.5, NULL, 't');
    `);
    db.close();
    const lib = await Library.open(dir);
    expect(await currentVersion(lib.db)).toBe(SCHEMA_VERSION);
    expect(await lib.scores.list()).toHaveLength(1);
    expect(await lib.scores.failures('m')).toEqual([]);
    await lib.scores.recordFailure({ modelId: 'm', imageId: 1, error: 'unreadable' });
    expect(await lib.scores.failures('m')).toEqual([
      { modelId: 'm', imageId: 1, error: 'unreadable', failedAt: expect.any(String) },
    ]);
    // A failure for an image the library does not have is not recorded.
    await lib.scores.recordFailure({ modelId: 'm', imageId: 99, error: 'unreadable' });
    expect(await lib.db.get('SELECT COUNT(*) AS n FROM score_failures')).toEqual({ n: 1 });
    await lib.close();
  });

  it('migration 4 drops the unused jobs table of a version-3 library, keeping its data', async () => {
    const dir = folder();
    const db = new Database(path.join(dir, 'library.sqlite'));
    await migrate(new SqliteDatabase(db), MIGRATIONS.slice(0, 3));
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
    const lib = await Library.open(dir);
    expect(await currentVersion(lib.db)).toBe(4);
    expect(sqlite(lib).prepare("SELECT name FROM sqlite_master WHERE name = 'jobs'").get()).toBeUndefined();
    expect(await lib.stats()).toMatchObject({ images: 2, comparisons: 1, judgments: 1 });
    expect((await lib.judgments.list()).map((j) => j.idempotencyKey)).toEqual(['k1']);
    expect(await lib.scores.list()).toEqual([
      { modelId: 'm', imageId: 1, promptId: 1, score: 0.5, cosine: null },
    ]);
    await lib.close();
  });

  it('enforces foreign keys', async () => {
    const lib = await Library.open(folder());
    const insert = "INSERT INTO comparisons (prompt_id, signature, created_at) VALUES (999, '1,2', 'x')";
    expect(() => sqlite(lib).prepare(insert).run()).toThrow(/FOREIGN KEY/);
    // Through the driver, the same violation arrives as a ConstraintViolation of the foreign-key kind.
    const error: unknown = await lib.db.run(insert).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConstraintViolation);
    expect(error).toMatchObject({ kind: 'foreign-key', message: expect.stringMatching(/FOREIGN KEY/) });
    await lib.close();
  });
});

describe('content-addressed images', () => {
  it('stores bytes under images/ab/cdef….ext by sha256 and detects duplicates', async () => {
    const dir = folder();
    const lib = await Library.open(dir);
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
    expect((await lib.stats()).images).toBe(2);
    await lib.close();
  });

  it('rejects bytes that are not an image', async () => {
    const lib = await Library.open(folder());
    await expect(lib.addImage(Buffer.from('definitely not a png'))).rejects.toThrow(/not a readable image/);
    const png = await makePng(3);
    await expect(lib.addImage(png.subarray(0, png.length / 2))).rejects.toThrow(/not a readable image/);
    expect((await lib.stats()).images).toBe(0);
    await lib.close();
  });

  it('creates a 256 px WebP thumbnail lazily and caches it', async () => {
    const dir = folder();
    const lib = await Library.open(dir);
    const { image } = await lib.addImage(await makePng(4, 600, 300));
    const expected = path.join(dir, 'thumbs', '256', image.hash.slice(0, 2), `${image.hash.slice(2)}.webp`);
    expect(existsSync(expected)).toBe(false);
    const thumb = await lib.thumbnailPath(image.id);
    expect(thumb).toBe(expected);
    const sharp = (await import('sharp')).default;
    expect(await sharp(thumb).metadata()).toMatchObject({ format: 'webp', width: 256, height: 128 });
    expect(await lib.thumbnailPath(image.id)).toBe(expected);
    await lib.close();
  });
});
