import type { SqlDatabase } from './sql/database';
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
  constructor(private readonly db: SqlDatabase) {}

  /** Stores the score of the pair, replacing an earlier one from the same model. */
  async set(score: Score): Promise<void> {
    if (!Number.isFinite(score.score)) throw new Error(`score must be a finite number, got ${score.score}`);
    await this.db.run(
      `INSERT INTO scores (model_id, image_id, prompt_id, score, cosine, created_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT(model_id, image_id, prompt_id) DO UPDATE SET score = excluded.score, cosine = excluded.cosine,
         created_at = excluded.created_at`,
      [score.modelId, score.imageId, score.promptId, score.score, score.cosine, now()],
    );
  }

  async list(filter: { modelId?: string; promptId?: number } = {}): Promise<Score[]> {
    const rows = await this.db.all<ScoreRow>(
      `SELECT * FROM scores WHERE (CAST(@model AS TEXT) IS NULL OR model_id = @model)
         AND (CAST(@prompt AS INTEGER) IS NULL OR prompt_id = @prompt)
       ORDER BY model_id, prompt_id, image_id`,
      { model: filter.modelId ?? null, prompt: filter.promptId ?? null },
    );
    return rows.map((row) => ({
      modelId: row.model_id,
      imageId: row.image_id,
      promptId: row.prompt_id,
      score: row.score,
      cosine: row.cosine,
    }));
  }

  /** Ids of the models that scored anything. */
  async models(): Promise<string[]> {
    const rows = await this.db.all<{ model_id: string }>(
      'SELECT DISTINCT model_id FROM scores ORDER BY model_id',
    );
    return rows.map((row) => row.model_id);
  }

  /** Records that `modelId` could not read the image (replacing an earlier failure of the pair). */
  async recordFailure(failure: { modelId: string; imageId: number; error: string }): Promise<void> {
    await this.db.run(
      `INSERT INTO score_failures (model_id, image_id, image_hash, error, failed_at)
       SELECT ?, id, hash, ?, ? FROM images WHERE id = ?
       ON CONFLICT(model_id, image_id) DO UPDATE SET image_hash = excluded.image_hash, error = excluded.error,
         failed_at = excluded.failed_at`,
      [failure.modelId, failure.error, now(), failure.imageId],
    );
  }

  async clearFailure(modelId: string, imageId: number): Promise<void> {
    await this.db.run('DELETE FROM score_failures WHERE model_id = ? AND image_id = ?', [modelId, imageId]);
  }

  /** Failures that still hold: the image row is the one that failed (a changed row gets tried again). */
  async failures(modelId: string): Promise<ScoreFailure[]> {
    const rows = await this.db.all<{ image_id: number; error: string; failed_at: string }>(
      `SELECT f.image_id, f.error, f.failed_at FROM score_failures f
       JOIN images i ON i.id = f.image_id AND i.hash = f.image_hash
       WHERE f.model_id = ? ORDER BY f.image_id`,
      [modelId],
    );
    return rows.map((row) => ({ modelId, imageId: row.image_id, error: row.error, failedAt: row.failed_at }));
  }
}
