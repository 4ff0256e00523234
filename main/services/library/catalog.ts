import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import { toJob, type JobRow } from './rows';
import type { Job, JobState, Score, ScoreFailure } from './types';

const now = (): string => new Date().toISOString();

interface ScoreRow {
  model_id: string;
  image_id: number;
  prompt_id: number;
  score: number;
  cosine: number | null;
}

/** Scores, tags and jobs: the library's bookkeeping around images and comparisons. */
export class CatalogRepository {
  constructor(private readonly db: Database.Database) {}

  setScore(score: Score): void {
    if (!Number.isFinite(score.score)) throw new Error(`score must be a finite number, got ${score.score}`);
    this.db
      .prepare(
        `INSERT INTO scores (model_id, image_id, prompt_id, score, cosine, created_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT(model_id, image_id, prompt_id) DO UPDATE SET score = excluded.score, cosine = excluded.cosine,
           created_at = excluded.created_at`,
      )
      .run(score.modelId, score.imageId, score.promptId, score.score, score.cosine, now());
  }

  scores(filter: { modelId?: string; promptId?: number } = {}): Score[] {
    const rows = this.db
      .prepare(
        `SELECT * FROM scores WHERE (@model IS NULL OR model_id = @model) AND (@prompt IS NULL OR prompt_id = @prompt)
         ORDER BY model_id, prompt_id, image_id`,
      )
      .all({ model: filter.modelId ?? null, prompt: filter.promptId ?? null }) as ScoreRow[];
    return rows.map((row) => ({
      modelId: row.model_id,
      imageId: row.image_id,
      promptId: row.prompt_id,
      score: row.score,
      cosine: row.cosine,
    }));
  }

  /** Records that `modelId` could not read the image (replacing an earlier failure of the pair). */
  setScoreFailure(failure: { modelId: string; imageId: number; error: string }): void {
    this.db
      .prepare(
        `INSERT INTO score_failures (model_id, image_id, image_hash, error, failed_at)
         SELECT ?, id, hash, ?, ? FROM images WHERE id = ?
         ON CONFLICT(model_id, image_id) DO UPDATE SET image_hash = excluded.image_hash, error = excluded.error,
           failed_at = excluded.failed_at`,
      )
      .run(failure.modelId, failure.error, now(), failure.imageId);
  }

  clearScoreFailure(modelId: string, imageId: number): void {
    this.db.prepare('DELETE FROM score_failures WHERE model_id = ? AND image_id = ?').run(modelId, imageId);
  }

  /** Failures that still hold: the image row is the one that failed (a changed row gets tried again). */
  scoreFailures(modelId: string): ScoreFailure[] {
    const rows = this.db
      .prepare(
        `SELECT f.image_id, f.error, f.failed_at FROM score_failures f
         JOIN images i ON i.id = f.image_id AND i.hash = f.image_hash
         WHERE f.model_id = ? ORDER BY f.image_id`,
      )
      .all(modelId) as { image_id: number; error: string; failed_at: string }[];
    return rows.map((row) => ({ modelId, imageId: row.image_id, error: row.error, failedAt: row.failed_at }));
  }

  scoredModels(): string[] {
    return (
      this.db.prepare('SELECT DISTINCT model_id FROM scores ORDER BY model_id').all() as {
        model_id: string;
      }[]
    ).map((row) => row.model_id);
  }

  tagImages(imageIds: readonly number[], tag: string): void {
    this.tagMany('image_tags', 'image_id', imageIds, tag);
  }

  untagImages(imageIds: readonly number[], tag: string): void {
    this.untagMany('image_tags', 'image_id', imageIds, tag);
  }

  tagComparisons(comparisonIds: readonly number[], tag: string): void {
    this.tagMany('comparison_tags', 'comparison_id', comparisonIds, tag);
  }

  untagComparisons(comparisonIds: readonly number[], tag: string): void {
    this.untagMany('comparison_tags', 'comparison_id', comparisonIds, tag);
  }

  imageTags(imageId: number): string[] {
    return this.tagNames('image_tags', 'image_id', imageId);
  }

  comparisonTags(comparisonId: number): string[] {
    return this.tagNames('comparison_tags', 'comparison_id', comparisonId);
  }

  tags(): string[] {
    return (this.db.prepare('SELECT name FROM tags ORDER BY name').all() as { name: string }[]).map(
      (row) => row.name,
    );
  }

  createJob(kind: string, payload: unknown = {}): Job {
    const id = randomUUID();
    const at = now();
    this.db
      .prepare(
        "INSERT INTO jobs (id, kind, state, progress, payload, created_at, updated_at) VALUES (?, ?, 'queued', 0, ?, ?, ?)",
      )
      .run(id, kind, JSON.stringify(payload), at, at);
    return this.job(id)!;
  }

  updateJob(
    id: string,
    patch: { state?: JobState; progress?: number; payload?: unknown; error?: string | null },
  ): Job {
    const job = this.job(id);
    if (!job) throw new Error(`no job with id ${id}`);
    if (patch.progress !== undefined && !(patch.progress >= 0 && patch.progress <= 1)) {
      throw new Error(`job progress must be within [0, 1], got ${patch.progress}`);
    }
    this.db
      .prepare('UPDATE jobs SET state = ?, progress = ?, payload = ?, error = ?, updated_at = ? WHERE id = ?')
      .run(
        patch.state ?? job.state,
        patch.progress ?? job.progress,
        JSON.stringify(patch.payload === undefined ? job.payload : patch.payload),
        patch.error === undefined ? job.error : patch.error,
        now(),
        id,
      );
    return this.job(id)!;
  }

  job(id: string): Job | null {
    const row = this.db.prepare('SELECT * FROM jobs WHERE id = ?').get(id) as JobRow | undefined;
    return row ? toJob(row) : null;
  }

  jobs(filter: { state?: JobState } = {}): Job[] {
    const rows = this.db
      .prepare('SELECT * FROM jobs WHERE (@state IS NULL OR state = @state) ORDER BY created_at, id')
      .all({ state: filter.state ?? null }) as JobRow[];
    return rows.map(toJob);
  }

  private tagMany(table: string, column: string, ids: readonly number[], tag: string): void {
    const name = tag.trim();
    if (name === '') throw new Error('tag name is empty');
    this.db.transaction(() => {
      this.db.prepare('INSERT INTO tags (name) VALUES (?) ON CONFLICT(name) DO NOTHING').run(name);
      const { id } = this.db.prepare('SELECT id FROM tags WHERE name = ?').get(name) as { id: number };
      const insert = this.db.prepare(
        `INSERT INTO ${table} (${column}, tag_id) VALUES (?, ?) ON CONFLICT DO NOTHING`,
      );
      for (const target of ids) insert.run(target, id);
    })();
  }

  private untagMany(table: string, column: string, ids: readonly number[], tag: string): void {
    const remove = this.db.prepare(
      `DELETE FROM ${table} WHERE ${column} = ? AND tag_id = (SELECT id FROM tags WHERE name = ?)`,
    );
    this.db.transaction(() => ids.forEach((target) => remove.run(target, tag.trim())))();
  }

  private tagNames(table: string, column: string, id: number): string[] {
    return (
      this.db
        .prepare(
          `SELECT t.name FROM ${table} x JOIN tags t ON t.id = x.tag_id WHERE x.${column} = ? ORDER BY t.name`,
        )
        .all(id) as { name: string }[]
    ).map((row) => row.name);
  }
}
