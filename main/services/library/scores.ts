import type Database from 'better-sqlite3';
import type { Score, ScoreFailure } from './types';

const now = (): string => new Date().toISOString();

interface ScoreRow {
  model_id: string;
  image_id: number;
  prompt_id: number;
  score: number;
  cosine: number | null;
}

/** Scores that scorer models gave (image, prompt) pairs, and the images a scorer could not read. */
export class ScoreRepository {
  constructor(private readonly db: Database.Database) {}

  /** Stores the score of the pair, replacing an earlier one from the same model. */
  set(score: Score): void {
    if (!Number.isFinite(score.score)) throw new Error(`score must be a finite number, got ${score.score}`);
    this.db
      .prepare(
        `INSERT INTO scores (model_id, image_id, prompt_id, score, cosine, created_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT(model_id, image_id, prompt_id) DO UPDATE SET score = excluded.score, cosine = excluded.cosine,
           created_at = excluded.created_at`,
      )
      .run(score.modelId, score.imageId, score.promptId, score.score, score.cosine, now());
  }

  list(filter: { modelId?: string; promptId?: number } = {}): Score[] {
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

  /** Ids of the models that scored anything. */
  models(): string[] {
    return (
      this.db.prepare('SELECT DISTINCT model_id FROM scores ORDER BY model_id').all() as {
        model_id: string;
      }[]
    ).map((row) => row.model_id);
  }

  /** Records that `modelId` could not read the image (replacing an earlier failure of the pair). */
  recordFailure(failure: { modelId: string; imageId: number; error: string }): void {
    this.db
      .prepare(
        `INSERT INTO score_failures (model_id, image_id, image_hash, error, failed_at)
         SELECT ?, id, hash, ?, ? FROM images WHERE id = ?
         ON CONFLICT(model_id, image_id) DO UPDATE SET image_hash = excluded.image_hash, error = excluded.error,
           failed_at = excluded.failed_at`,
      )
      .run(failure.modelId, failure.error, now(), failure.imageId);
  }

  clearFailure(modelId: string, imageId: number): void {
    this.db.prepare('DELETE FROM score_failures WHERE model_id = ? AND image_id = ?').run(modelId, imageId);
  }

  /** Failures that still hold: the image row is the one that failed (a changed row gets tried again). */
  failures(modelId: string): ScoreFailure[] {
    const rows = this.db
      .prepare(
        `SELECT f.image_id, f.error, f.failed_at FROM score_failures f
         JOIN images i ON i.id = f.image_id AND i.hash = f.image_hash
         WHERE f.model_id = ? ORDER BY f.image_id`,
      )
      .all(modelId) as { image_id: number; error: string; failed_at: string }[];
    return rows.map((row) => ({ modelId, imageId: row.image_id, error: row.error, failedAt: row.failed_at }));
  }
}
