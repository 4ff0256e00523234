import { readFileSync } from 'node:fs';
import { parquetWriteFile } from 'hyparquet-writer';
import type { Library } from '../library';
import { annotatorNames, comparisonsWithJudgments, SkipCounter, type ExportReport } from './common';

/**
 * Pick-a-Pic-shaped parquet through hyparquet-writer: caption, jpg_0, jpg_1 (image bytes, jpg_0 = the
 * comparison's first image), label_0, label_1 (1/0, 0.5 each for a tie), user_id (annotator name),
 * created_at, image_0_uid / image_1_uid (sha256) and ranking_id (the judgment's idempotency key).
 * Only choice and tie judgments on two-image comparisons fit this shape; the rest are counted as skipped.
 */
export function exportPickapic(library: Library, outFile: string): ExportReport {
  const names = annotatorNames(library);
  const skipped = new SkipCounter();
  const columns = {
    caption: [] as string[],
    jpg_0: [] as Uint8Array[],
    jpg_1: [] as Uint8Array[],
    label_0: [] as number[],
    label_1: [] as number[],
    user_id: [] as string[],
    created_at: [] as string[],
    image_0_uid: [] as string[],
    image_1_uid: [] as string[],
    ranking_id: [] as string[],
  };
  for (const { comparison, judgments } of comparisonsWithJudgments(library)) {
    for (const judgment of judgments) {
      if (comparison.images.length !== 2) {
        skipped.add(`${comparison.images.length}-image comparison`);
        continue;
      }
      if (judgment.kind !== 'choice' && judgment.kind !== 'tie') {
        skipped.add(`${judgment.kind} judgment`);
        continue;
      }
      const [first, second] = comparison.images as [typeof comparison.images[0], typeof comparison.images[0]];
      const label0 = judgment.kind === 'tie' ? 0.5 : judgment.chosenImageId === first.id ? 1 : 0;
      columns.caption.push(comparison.prompt);
      columns.jpg_0.push(readFileSync(library.imagePath(first)));
      columns.jpg_1.push(readFileSync(library.imagePath(second)));
      columns.label_0.push(label0);
      columns.label_1.push(1 - label0);
      columns.user_id.push(names.get(judgment.annotatorId) ?? '');
      columns.created_at.push(judgment.createdAt);
      columns.image_0_uid.push(first.hash);
      columns.image_1_uid.push(second.hash);
      columns.ranking_id.push(judgment.idempotencyKey);
    }
  }
  const binary = new Set(['jpg_0', 'jpg_1']);
  const numeric = new Set(['label_0', 'label_1']);
  parquetWriteFile({
    filename: outFile,
    columnData: Object.entries(columns).map(([name, data]) => ({
      name,
      data,
      type: binary.has(name) ? 'BYTE_ARRAY' : numeric.has(name) ? 'DOUBLE' : 'STRING',
      nullable: false,
    })),
  });
  return { format: 'pickapic', file: outFile, records: columns.caption.length, imagesCopied: 0, skipped: skipped.list() };
}
