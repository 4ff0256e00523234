import { readFileSync } from 'node:fs';
import { fileWriter, ParquetWriter, schemaFromColumnData } from 'hyparquet-writer';
import type { Library } from '../library';
import type { ImageRecord } from '../types';
import { annotatorNames, comparisonsWithJudgments, SkipCounter, type ExportReport } from './common';

/** Rows per row group: each row holds two full images, so the writer never keeps more than this in memory. */
const ROWS_PER_GROUP = 64;

interface Row {
  caption: string;
  first: ImageRecord;
  second: ImageRecord;
  label0: number;
  user: string;
  createdAt: string;
  key: string;
}

const COLUMNS = [
  { name: 'caption', type: 'STRING', value: (row: Row) => row.caption },
  {
    name: 'jpg_0',
    type: 'BYTE_ARRAY',
    value: (row: Row, library: Library) => readFileSync(library.imagePath(row.first)),
  },
  {
    name: 'jpg_1',
    type: 'BYTE_ARRAY',
    value: (row: Row, library: Library) => readFileSync(library.imagePath(row.second)),
  },
  { name: 'label_0', type: 'DOUBLE', value: (row: Row) => row.label0 },
  { name: 'label_1', type: 'DOUBLE', value: (row: Row) => 1 - row.label0 },
  { name: 'user_id', type: 'STRING', value: (row: Row) => row.user },
  { name: 'created_at', type: 'STRING', value: (row: Row) => row.createdAt },
  { name: 'image_0_uid', type: 'STRING', value: (row: Row) => row.first.hash },
  { name: 'image_1_uid', type: 'STRING', value: (row: Row) => row.second.hash },
  { name: 'ranking_id', type: 'STRING', value: (row: Row) => row.key },
] as const;

/**
 * Pick-a-Pic-shaped parquet through hyparquet-writer: caption, jpg_0, jpg_1 (image bytes, jpg_0 = the
 * comparison's first image), label_0, label_1 (1/0, 0.5 each for a tie), user_id (annotator name),
 * created_at, image_0_uid / image_1_uid (sha256) and ranking_id (the judgment's idempotency key).
 * Only choice and tie judgments on two-image comparisons fit this shape; the rest are counted as skipped.
 */
export async function exportPickapic(library: Library, outFile: string): Promise<ExportReport> {
  const { rows, skipped } = await collectRows(library);
  const schema = schemaFromColumnData({
    columnData: COLUMNS.map(({ name, type }) => ({ name, type, data: [], nullable: false })),
  });
  const writer = new ParquetWriter({ writer: fileWriter(outFile), schema });
  for (let start = 0; start < rows.length; start += ROWS_PER_GROUP) {
    const chunk = rows.slice(start, start + ROWS_PER_GROUP);
    // write() and finish() return a promise when the writer flushes asynchronously (the file writer does not).
    await writer.write({
      columnData: COLUMNS.map(({ name, value }) => ({
        name,
        data: chunk.map((row) => value(row, library)) as never,
      })),
      rowGroupSize: ROWS_PER_GROUP,
    });
  }
  await writer.finish();
  return {
    format: 'pickapic',
    file: outFile,
    records: rows.length,
    imagesCopied: 0,
    skipped: skipped.list(),
  };
}

async function collectRows(library: Library): Promise<{ rows: Row[]; skipped: SkipCounter }> {
  const skipped = new SkipCounter();
  const rows: Row[] = [];
  const labeled = await comparisonsWithJudgments(library);
  const names = await annotatorNames(library);
  for (const { comparison, judgments } of labeled) {
    for (const judgment of judgments) {
      if (comparison.images.length !== 2) {
        skipped.add(`${comparison.images.length}-image comparison`);
      } else if (judgment.kind !== 'choice' && judgment.kind !== 'tie') {
        skipped.add(`${judgment.kind} judgment`);
      } else {
        const [first, second] = comparison.images as [ImageRecord, ImageRecord];
        rows.push({
          caption: comparison.prompt,
          first,
          second,
          label0: judgment.kind === 'tie' ? 0.5 : judgment.chosenImageId === first.id ? 1 : 0,
          user: names.get(judgment.annotatorId) ?? '',
          createdAt: judgment.createdAt,
          key: judgment.idempotencyKey,
        });
      }
    }
  }
  return { rows, skipped };
}
