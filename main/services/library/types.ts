import type { JudgmentKind } from '../../contract/names';

export type { JudgmentKind };
export type Role = 'admin' | 'annotator';

export interface Prompt {
  id: number;
  text: string;
}

export interface ImageRecord {
  id: number;
  hash: string;
  ext: string;
  width: number;
  height: number;
  byteSize: number;
  source: string | null;
}

export interface Comparison {
  id: number;
  promptId: number;
  prompt: string;
  group: string | null;
  /** Images in their stored order (the order the source listed them). */
  images: ImageRecord[];
  goldImageId: number | null;
  excluded: boolean;
  source: string | null;
}

export interface Annotator {
  id: number;
  name: string;
  role: Role;
  /** False for annotators that came from an imported dataset and cannot log in. */
  canLogin: boolean;
}

export interface Judgment {
  id: number;
  comparisonId: number;
  annotatorId: number;
  kind: JudgmentKind;
  chosenImageId: number | null;
  /** Image ids, best first (kind 'ranking' only). */
  ranking: number[] | null;
  /** Image ids left to right as the annotator saw them. */
  shownOrder: number[];
  decisionMs: number | null;
  createdAt: string;
  idempotencyKey: string;
}

export interface JudgmentInput {
  comparisonId: number;
  annotatorId: number;
  kind: JudgmentKind;
  chosenImageId?: number | null;
  ranking?: number[] | null;
  shownOrder: number[];
  decisionMs?: number | null;
  /** Client-generated UUID: a retried submit with the same key is stored once. */
  idempotencyKey: string;
  /** ISO time; defaults to now. Imports pass the source's time. */
  createdAt?: string;
}

export interface SubmitResult {
  judgment: Judgment;
  /** True when the key was already stored (a retry): nothing new was written. */
  duplicate: boolean;
}

export interface Score {
  modelId: string;
  imageId: number;
  promptId: number;
  score: number;
  cosine: number | null;
}

/** An image a scorer could not read (it is skipped until retried or its row changes). */
export interface ScoreFailure {
  modelId: string;
  imageId: number;
  error: string;
  failedAt: string;
}

export interface Assignment {
  comparison: Comparison;
  /** Image ids left to right, randomised per item; send it back with the judgment. */
  shownOrder: number[];
}
