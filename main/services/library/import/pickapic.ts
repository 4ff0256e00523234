import path from 'node:path';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import type { Library } from '../library';
import { ImportSession, type ImportOptions, type ImportReport } from './common';

const REQUIRED = ['caption', 'jpg_0', 'jpg_1', 'label_0', 'label_1'] as const;
const OPTIONAL = ['user_id', 'created_at', 'ranking_id'] as const;

/**
 * Pick-a-Pic parquet (yuvalkirstain/pickapic_v1 / v2 shards): caption, jpg_0 and jpg_1 as image bytes,
 * label_0/label_1 (1 = preferred, 0.5 each = tie). jpg_0 was shown on the left.
 */
export async function importPickapic(
  library: Library,
  file: string,
  options: ImportOptions = {},
): Promise<ImportReport> {
  const session = new ImportSession(library, 'pickapic');
  let buffer: Awaited<ReturnType<typeof asyncBufferFromFile>>;
  let metadata: Awaited<ReturnType<typeof parquetMetadataAsync>>;
  try {
    buffer = await asyncBufferFromFile(file);
    metadata = await parquetMetadataAsync(buffer);
  } catch (error) {
    session.fail(file, `not a readable parquet file: ${(error as Error).message}`);
    return session.report;
  }
  const present = new Set(metadata.schema.map((element) => element.name));
  const missing = REQUIRED.filter((column) => !present.has(column));
  if (missing.length > 0) {
    session.fail(file, `missing Pick-a-Pic column(s): ${missing.join(', ')}`);
    return session.report;
  }
  const columns = [...REQUIRED, ...OPTIONAL.filter((column) => present.has(column))];
  const total = Number(metadata.num_rows);
  session.report.records = total;
  let start = 0;
  // One read per row group: hyparquet decodes whole column chunks, so smaller reads would decode them again.
  for (const group of metadata.row_groups) {
    const end = start + Number(group.num_rows);
    const rows = await parquetReadObjects({
      file: buffer,
      metadata,
      columns,
      rowStart: start,
      rowEnd: end,
      utf8: false,
    });
    for (const [offset, row] of rows.entries()) {
      const index = start + offset;
      await session.checkCancelled(options.signal);
      options.onProgress?.({ done: index, total, file });
      try {
        await importRow(session, row, `${file}#${index}`, `pickapic:${path.basename(file)}:${index}`);
      } catch (error) {
        session.fail(`${file}#${index}`, error);
      }
    }
    start = end;
  }
  await session.flush();
  options.onProgress?.({ done: total, total });
  return session.report;
}

async function importRow(
  session: ImportSession,
  row: Record<string, unknown>,
  where: string,
  fallbackKey: string,
): Promise<void> {
  const caption = text(row.caption);
  if (!caption) throw new Error('caption is empty');
  const label0 = Number(row.label_0);
  const label1 = Number(row.label_1);
  const outcome = label0 === label1 ? 'tie' : label0 > label1 ? 0 : 1;
  if (label0 === label1 && label0 !== 0.5)
    throw new Error(`labels ${label0}/${label1} name no preference and no tie`);
  const first = await session.imageFromBytes(bytes(row.jpg_0, 'jpg_0'), `${where}:jpg_0`);
  const second = await session.imageFromBytes(bytes(row.jpg_1, 'jpg_1'), `${where}:jpg_1`);
  if (first.id === second.id) throw new Error('jpg_0 and jpg_1 are the same image');
  const imageIds = [first.id, second.id];
  await session.stage(where, async (tx) => {
    const comparison = await session.comparison(tx, { prompt: caption, imageIds, source: 'pickapic' });
    await session.judgment(tx, text(row.user_id) ?? 'pickapic', {
      comparisonId: comparison.id,
      kind: outcome === 'tie' ? 'tie' : 'choice',
      chosenImageId: outcome === 'tie' ? null : imageIds[outcome],
      shownOrder: imageIds,
      idempotencyKey: text(row.ranking_id) ?? fallbackKey,
      createdAt: timestamp(row.created_at),
    });
  });
}

/** With utf8 off, string columns without a UTF8 annotation arrive as bytes too. */
function text(value: unknown): string | undefined {
  if (value == null) return undefined;
  const decoded = value instanceof Uint8Array ? new TextDecoder().decode(value) : String(value);
  return decoded === '' ? undefined : decoded;
}

function bytes(value: unknown, column: string): Uint8Array {
  if (value instanceof Uint8Array && value.byteLength > 0) return value;
  throw new Error(`${column} holds no image bytes`);
}

function timestamp(value: unknown): string | undefined {
  if (value instanceof Date) return value.toISOString();
  const decoded = text(value);
  if (!decoded) return undefined;
  const date = new Date(decoded);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}
