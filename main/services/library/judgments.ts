import { JUDGMENT_KINDS } from '../../contract/names';
import { ConstraintViolation, type SqlDatabase } from './sql/database';
import { toJudgment, type JudgmentRow } from './rows';
import type { Assignment, Comparison, Judgment, JudgmentInput, SubmitResult } from './types';

export interface AssignmentOptions {
  /** Judgments wanted per comparison (skips do not count). Default 1. */
  overlap?: number;
  /** Probability of serving a gold comparison (known answer) when one is left for this annotator. Default 0. */
  goldRate?: number;
  /** Uniform [0, 1) source; inject a seeded one for reproducible tests. */
  random?: () => number;
}

export interface AnnotatorProgress {
  judged: number;
  /** Non-gold comparisons this annotator could still be assigned under the overlap. */
  remaining: number;
}

/** How many candidates to draw from at random, so concurrent annotators rarely get the same item. */
const CANDIDATE_WINDOW = 16;

// The blind-assignment rule as SQL fragments over `comparisons c`, shared by every query that applies it.
const NOT_JUDGED_BY_ANNOTATOR =
  'NOT EXISTS (SELECT 1 FROM judgments j WHERE j.comparison_id = c.id AND j.annotator_id = @annotator)';
const ASSIGNABLE_TO_ANNOTATOR = `c.excluded = 0 AND ${NOT_JUDGED_BY_ANNOTATOR}`;
const GOLD = 'c.gold_image_id IS NOT NULL';
const REGULAR = 'c.gold_image_id IS NULL';
/** label_count counts non-skip judgments (kept by triggers, schema migration 2). */
const UNDER_OVERLAP = 'c.label_count < @overlap';

export class JudgmentRepository {
  constructor(
    private readonly db: SqlDatabase,
    private readonly getComparison: (id: number) => Promise<Comparison | null>,
  ) {}

  /**
   * Stores a judgment and commits it before returning, so whatever the caller acknowledges survives a crash.
   * A retry with the same idempotency key returns the stored row, on either backend and from any server.
   */
  async submit(input: JudgmentInput): Promise<SubmitResult> {
    const stored = await this.byKey(input.idempotencyKey);
    if (stored) return { judgment: this.checkSameJudgment(stored, input), duplicate: true };
    const comparison = await this.getComparison(input.comparisonId);
    if (!comparison) throw new Error(`no comparison with id ${input.comparisonId}`);
    validateJudgment(input, comparison);
    try {
      const { changes } = await this.db.run(
        `INSERT INTO judgments (comparison_id, annotator_id, kind, chosen_image_id, ranking, shown_order, decision_ms,
                                created_at, idempotency_key)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(idempotency_key) DO NOTHING`,
        [
          input.comparisonId,
          input.annotatorId,
          input.kind,
          input.kind === 'choice' ? input.chosenImageId : null,
          input.kind === 'ranking' ? JSON.stringify(input.ranking) : null,
          JSON.stringify(input.shownOrder),
          input.decisionMs ?? null,
          input.createdAt ?? new Date().toISOString(),
          input.idempotencyKey,
        ],
      );
      const judgment = (await this.byKey(input.idempotencyKey))!;
      return { judgment: this.checkSameJudgment(judgment, input), duplicate: changes === 0 };
    } catch (error) {
      // The idempotency key's conflict is absorbed above, so a unique violation is the one-per-annotator rule.
      if (error instanceof ConstraintViolation && error.kind === 'unique') {
        throw new Error(`annotator ${input.annotatorId} already judged comparison ${input.comparisonId}`, {
          cause: error,
        });
      }
      if (error instanceof ConstraintViolation && error.kind === 'foreign-key') {
        throw new Error(`no annotator with id ${input.annotatorId}`, { cause: error });
      }
      throw error;
    }
  }

  /** Removes the annotator's most recent judgment and returns it, so the UI can go back to that comparison. */
  undoLast(annotatorId: number): Promise<Judgment | null> {
    return this.db.transaction(async (tx) => {
      const row = await tx.get<JudgmentRow>(
        'SELECT * FROM judgments WHERE annotator_id = ? ORDER BY id DESC LIMIT 1',
        [annotatorId],
      );
      if (!row) return null;
      await tx.run('DELETE FROM judgments WHERE id = ?', [row.id]);
      return toJudgment(row);
    });
  }

  async list(filter: { comparisonId?: number; annotatorId?: number } = {}): Promise<Judgment[]> {
    const rows = await this.db.all<JudgmentRow>(
      `SELECT * FROM judgments WHERE (CAST(@comparison AS INTEGER) IS NULL OR comparison_id = @comparison)
         AND (CAST(@annotator AS INTEGER) IS NULL OR annotator_id = @annotator) ORDER BY id`,
      { comparison: filter.comparisonId ?? null, annotator: filter.annotatorId ?? null },
    );
    return rows.map(toJudgment);
  }

  async byKey(idempotencyKey: string): Promise<Judgment | null> {
    const row = await this.db.get<JudgmentRow>('SELECT * FROM judgments WHERE idempotency_key = ?', [
      idempotencyKey,
    ]);
    return row ? toJudgment(row) : null;
  }

  /**
   * Blind assignment: a comparison this annotator has not judged, not excluded, with fewer than `overlap`
   * non-skip judgments; gold comparisons are mixed in at `goldRate`. Returns nobody's labels, only the
   * item and a randomised left-to-right order to show (and send back with the judgment).
   */
  async next(annotatorId: number, options: AssignmentOptions = {}): Promise<Assignment | null> {
    const overlap = checkedOverlap(options.overlap ?? 1);
    const random = options.random ?? Math.random;
    const regular = await this.openItems(annotatorId, overlap);
    if (regular.length === 0) return null;
    const gold = random() < (options.goldRate ?? 0) ? await this.goldItems(annotatorId) : [];
    const pool = gold.length > 0 ? gold : regular;
    const comparison = (await this.getComparison(pool[Math.floor(random() * pool.length)]!))!;
    return {
      comparison,
      shownOrder: shuffle(
        comparison.images.map((image) => image.id),
        random,
      ),
    };
  }

  /**
   * Whether blind assignment may serve this comparison to this annotator: not excluded, not judged by them, and
   * fewer than `overlap` non-skip judgments, except gold, which is served regardless of overlap.
   */
  async isOpenTo(comparisonId: number, annotatorId: number, overlap: number): Promise<boolean> {
    const row = await this.db.get(
      `SELECT 1 FROM comparisons c
       WHERE c.id = @comparison AND ${ASSIGNABLE_TO_ANNOTATOR} AND (${GOLD} OR ${UNDER_OVERLAP})`,
      { comparison: comparisonId, annotator: annotatorId, overlap: checkedOverlap(overlap) },
    );
    return row !== undefined;
  }

  async progress(annotatorId: number, overlap = 1): Promise<AnnotatorProgress> {
    const count = async (sql: string, params: Record<string, number>) =>
      (await this.db.get<{ n: number }>(sql, params))!.n;
    return {
      judged: await count('SELECT COUNT(*) AS n FROM judgments WHERE annotator_id = @annotator', {
        annotator: annotatorId,
      }),
      remaining: await count(
        `SELECT COUNT(*) AS n FROM comparisons c
         WHERE ${ASSIGNABLE_TO_ANNOTATOR} AND ${REGULAR} AND ${UNDER_OVERLAP}`,
        { annotator: annotatorId, overlap },
      ),
    };
  }

  /**
   * Open regular items, the closest to their overlap first (so items complete instead of all staying
   * half-done), lowest ids first within a level. One equality per level keeps it an index range scan.
   */
  private async openItems(annotatorId: number, overlap: number): Promise<number[]> {
    for (let count = overlap - 1; count >= 0; count--) {
      const rows = await this.db.all<{ id: number }>(
        `SELECT c.id FROM comparisons c
         WHERE ${ASSIGNABLE_TO_ANNOTATOR} AND ${REGULAR} AND c.label_count = @count
         ORDER BY c.id LIMIT @limit`,
        { annotator: annotatorId, count, limit: CANDIDATE_WINDOW },
      );
      if (rows.length > 0) return rows.map((row) => row.id);
    }
    return [];
  }

  /** Gold items are served regardless of overlap: every annotator is checked on them. */
  private async goldItems(annotatorId: number): Promise<number[]> {
    const rows = await this.db.all<{ id: number }>(
      `SELECT c.id FROM comparisons c
       WHERE ${ASSIGNABLE_TO_ANNOTATOR} AND ${GOLD}
       ORDER BY c.id LIMIT @limit`,
      { annotator: annotatorId, limit: CANDIDATE_WINDOW },
    );
    return rows.map((row) => row.id);
  }

  private checkSameJudgment(stored: Judgment, input: JudgmentInput): Judgment {
    if (
      stored.annotatorId !== input.annotatorId ||
      stored.comparisonId !== input.comparisonId ||
      stored.kind !== input.kind
    ) {
      throw new Error(`idempotency key ${input.idempotencyKey} was already used for a different judgment`);
    }
    return stored;
  }
}

function checkedOverlap(overlap: number): number {
  if (!Number.isInteger(overlap) || overlap < 1)
    throw new Error(`overlap must be a positive integer, got ${overlap}`);
  return overlap;
}

function validateJudgment(input: JudgmentInput, comparison: Comparison): void {
  const ids = comparison.images.map((image) => image.id);
  const key = input.idempotencyKey;
  if (typeof key !== 'string' || key.length === 0 || key.length > 200)
    throw new Error('idempotency key must be 1–200 characters');
  if (!JUDGMENT_KINDS.includes(input.kind)) throw new Error(`unknown judgment kind "${input.kind}"`);
  if (!isPermutationOf(input.shownOrder, ids)) {
    throw new Error(`shown order must list each of the comparison's images once (${ids.join(', ')})`);
  }
  if (input.kind === 'choice' && !ids.includes(input.chosenImageId ?? -1)) {
    throw new Error(`chosen image ${input.chosenImageId} is not in comparison ${comparison.id}`);
  }
  if (input.kind !== 'choice' && input.chosenImageId != null)
    throw new Error(`a ${input.kind} judgment has no chosen image`);
  if (input.kind === 'ranking' && !isPermutationOf(input.ranking ?? [], ids)) {
    throw new Error("a ranking must list each of the comparison's images once, best first");
  }
  if (input.kind !== 'ranking' && input.ranking != null)
    throw new Error(`a ${input.kind} judgment has no ranking`);
  if (input.decisionMs != null && !(Number.isInteger(input.decisionMs) && input.decisionMs >= 0)) {
    throw new Error(`decision time must be a non-negative integer of milliseconds, got ${input.decisionMs}`);
  }
}

function isPermutationOf(candidate: readonly number[], ids: readonly number[]): boolean {
  return (
    Array.isArray(candidate) &&
    candidate.length === ids.length &&
    new Set(candidate).size === ids.length &&
    candidate.every((id) => ids.includes(id))
  );
}

function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}
