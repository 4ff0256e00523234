// Row shapes as SQLite returns them, and their mapping to the typed entities.
import type { Annotator, Comparison, ImageRecord, Judgment, JudgmentKind, Role } from './types';

export interface ImageRow {
  id: number;
  hash: string;
  ext: string;
  width: number;
  height: number;
  byte_size: number;
  source: string | null;
}

export interface ComparisonRow {
  id: number;
  prompt_id: number;
  prompt: string;
  group_name: string | null;
  gold_image_id: number | null;
  excluded: number;
  source: string | null;
}

export interface AnnotatorRow {
  id: number;
  name: string;
  role: Role;
  token_hash: string | null;
}

export interface JudgmentRow {
  id: number;
  comparison_id: number;
  annotator_id: number;
  kind: JudgmentKind;
  chosen_image_id: number | null;
  ranking: string | null;
  shown_order: string;
  decision_ms: number | null;
  created_at: string;
  idempotency_key: string;
}

export const toImage = (row: ImageRow): ImageRecord => ({
  id: row.id,
  hash: row.hash,
  ext: row.ext,
  width: row.width,
  height: row.height,
  byteSize: row.byte_size,
  source: row.source,
});

export const toAnnotator = (row: AnnotatorRow): Annotator => ({
  id: row.id,
  name: row.name,
  role: row.role,
  canLogin: row.token_hash !== null,
});

export const toJudgment = (row: JudgmentRow): Judgment => ({
  id: row.id,
  comparisonId: row.comparison_id,
  annotatorId: row.annotator_id,
  kind: row.kind,
  chosenImageId: row.chosen_image_id,
  ranking: row.ranking === null ? null : (JSON.parse(row.ranking) as number[]),
  shownOrder: JSON.parse(row.shown_order) as number[],
  decisionMs: row.decision_ms,
  createdAt: row.created_at,
  idempotencyKey: row.idempotency_key,
});

export const toComparison = (row: ComparisonRow, images: ImageRecord[]): Comparison => ({
  id: row.id,
  promptId: row.prompt_id,
  prompt: row.prompt,
  group: row.group_name,
  images,
  goldImageId: row.gold_image_id,
  excluded: row.excluded === 1,
  source: row.source,
});
