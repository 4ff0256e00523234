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
export function* comparisonsWithJudgments(
  library: Library,
): Generator<{ comparison: Comparison; judgments: Judgment[] }> {
  const byComparison = new Map<number, Judgment[]>();
  for (const judgment of library.judgments.list()) {
    const list = byComparison.get(judgment.comparisonId) ?? [];
    list.push(judgment);
    byComparison.set(judgment.comparisonId, list);
  }
  for (const comparison of library.listComparisons()) {
    yield { comparison, judgments: byComparison.get(comparison.id) ?? [] };
  }
}

export function annotatorNames(library: Library): Map<number, string> {
  return new Map(library.annotators.list().map((annotator) => [annotator.id, annotator.name]));
}
