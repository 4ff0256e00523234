import { readFile } from 'node:fs/promises';
import type { Library, NewComparison } from '../library';
import type { Comparison, ImageRecord, JudgmentInput } from '../types';

export interface ImportIssue {
  /** The file (or `file:line` / `file#row`) the problem came from. */
  file: string;
  message: string;
}

export interface ImportReport {
  format: string;
  /** Source records read (rows, items, lines). */
  records: number;
  imagesAdded: number;
  imagesDuplicate: number;
  comparisonsAdded: number;
  comparisonsDuplicate: number;
  judgmentsAdded: number;
  judgmentsDuplicate: number;
  errors: ImportIssue[];
}

export interface ImportProgress {
  done: number;
  total: number;
  file?: string;
}

export interface ImportOptions {
  onProgress?: (progress: ImportProgress) => void;
  /** Cancels the import between records; what was read before is committed (re-running skips it). */
  signal?: AbortSignal;
}

export function emptyReport(format: string): ImportReport {
  return {
    format,
    records: 0,
    imagesAdded: 0,
    imagesDuplicate: 0,
    comparisonsAdded: 0,
    comparisonsDuplicate: 0,
    judgmentsAdded: 0,
    judgmentsDuplicate: 0,
    errors: [],
  };
}

const BATCH_SIZE = 200;

/** The database part of one record; it writes through `tx`, the library bound to the batch's transaction. */
export type StagedWork = (tx: Library) => Promise<void>;

export const errorMessage = (error: unknown): string =>
  error instanceof Error ? error.message : String(error);

/**
 * Adds images and comparisons to the library while counting what was new and what was a duplicate.
 * Every failure is recorded against its source and the import goes on.
 */
export class ImportSession {
  readonly report: ImportReport;
  private readonly imagesByPath = new Map<string, ImageRecord | null>();
  private staged: { source: string; work: StagedWork }[] = [];

  constructor(
    readonly library: Library,
    format: string,
  ) {
    this.report = emptyReport(format);
  }

  /**
   * Queues the database part of one record. Staged records are committed together (one fsync per batch
   * instead of per record); each runs in its own savepoint, so a bad record is rolled back alone. `work`
   * must write through the library it is handed (bound to the batch's transaction), e.g. `comparison(tx, …)`.
   */
  async stage(source: string, work: StagedWork): Promise<void> {
    this.staged.push({ source, work });
    if (this.staged.length >= BATCH_SIZE) await this.flush();
  }

  async flush(): Promise<void> {
    const batch = this.staged;
    this.staged = [];
    await this.library.transaction(async (tx) => {
      for (const { source, work } of batch) {
        const before = { ...this.report, errors: this.report.errors };
        try {
          await tx.transaction(work);
        } catch (error) {
          // The savepoint rolled the record back: roll its counts back too.
          Object.assign(this.report, before);
          this.fail(source, error);
        }
      }
    });
  }

  /** Between records: on cancellation, commits what is staged and throws the signal's reason. */
  async checkCancelled(signal: AbortSignal | undefined): Promise<void> {
    if (!signal?.aborted) return;
    await this.flush();
    signal.throwIfAborted();
  }

  fail(file: string, error: unknown): void {
    this.report.errors.push({ file, message: errorMessage(error) });
  }

  /** Reads and stores one image file; null (with the error recorded) when it is missing or unreadable. */
  async imageFromFile(filePath: string): Promise<ImageRecord | null> {
    if (this.imagesByPath.has(filePath)) return this.imagesByPath.get(filePath)!;
    let image: ImageRecord | null = null;
    try {
      image = await this.imageFromBytes(await readFile(filePath), filePath);
    } catch (error) {
      this.fail(filePath, error);
    }
    this.imagesByPath.set(filePath, image);
    return image;
  }

  async imageFromBytes(bytes: Uint8Array, source: string): Promise<ImageRecord> {
    const { image, duplicate } = await this.library.addImage(bytes, { source });
    if (duplicate) this.report.imagesDuplicate++;
    else this.report.imagesAdded++;
    return image;
  }

  /** Adds a comparison through `tx`, the staged record's transaction. */
  async comparison(tx: Library, input: NewComparison): Promise<Comparison> {
    const { comparison, duplicate } = await tx.addComparison(input);
    if (duplicate) this.report.comparisonsDuplicate++;
    else this.report.comparisonsAdded++;
    return comparison;
  }

  /** Stores a judgment by a named (imported, token-less) annotator, through `tx` as `comparison` does. */
  async judgment(
    tx: Library,
    annotatorName: string,
    input: Omit<JudgmentInput, 'annotatorId'>,
  ): Promise<void> {
    const annotator = await tx.annotators.ensureImported(annotatorName);
    const { duplicate } = await tx.judgments.submit({ ...input, annotatorId: annotator.id });
    if (duplicate) this.report.judgmentsDuplicate++;
    else this.report.judgmentsAdded++;
  }
}
