import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Library } from '../library';
import type { Comparison, ImageRecord, Judgment } from '../types';

export interface ExportReport {
  format: string;
  file: string;
  /** Records written (lines, items or rows). */
  records: number;
  imagesCopied: number;
  /** Judgments the format cannot express, with the reason. */
  skipped: { reason: string; count: number }[];
}

/** Copies images into `<out dir>/<out name>_images/` and hands back paths relative to the output file's folder. */
export class ImageExporter {
  readonly folderName: string;
  private readonly folder: string;
  copied = 0;

  constructor(
    private readonly library: Library,
    outFile: string,
  ) {
    this.folderName = `${path.basename(outFile, path.extname(outFile))}_images`;
    this.folder = path.join(path.dirname(outFile), this.folderName);
  }

  relativePath(image: ImageRecord): string {
    const name = `${image.hash}.${image.ext}`;
    const target = path.join(this.folder, name);
    if (!existsSync(target)) {
      mkdirSync(this.folder, { recursive: true });
      copyFileSync(this.library.imagePath(image), target);
      this.copied++;
    }
    return `${this.folderName}/${name}`;
  }
}

export class SkipCounter {
  private readonly counts = new Map<string, number>();

  add(reason: string): void {
    this.counts.set(reason, (this.counts.get(reason) ?? 0) + 1);
  }

  list(): { reason: string; count: number }[] {
    return [...this.counts].map(([reason, count]) => ({ reason, count }));
  }
}

/** Every comparison with its judgments, in id order (comparisons are loaded once each). */
export async function comparisonsWithJudgments(
  library: Library,
): Promise<{ comparison: Comparison; judgments: Judgment[] }[]> {
  const byComparison = new Map<number, Judgment[]>();
  for (const judgment of await library.judgments.list()) {
    const list = byComparison.get(judgment.comparisonId) ?? [];
    list.push(judgment);
    byComparison.set(judgment.comparisonId, list);
  }
  return (await library.listComparisons()).map((comparison) => ({
    comparison,
    judgments: byComparison.get(comparison.id) ?? [],
  }));
}

/**
 * Annotator names by id. Read it after the judgments: labeling may go on during an export, and annotators are
 * never deleted, so every judgment read finds its annotator's name.
 */
export async function annotatorNames(library: Library): Promise<Map<number, string>> {
  return new Map((await library.annotators.list()).map((annotator) => [annotator.id, annotator.name]));
}
