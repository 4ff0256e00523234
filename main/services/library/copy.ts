// `hps-studio db copy`: moves a library's tables from one database to another (SQLite → PostgreSQL when a team
// outgrows one machine, or back), ids unchanged, in one transaction on the target, then proves the copy lossless
// with a row count and a checksum per table computed on both sides. Images are files in the library folder and
// do not move: both databases describe the same folder.
import { createHash } from 'node:crypto';
import { migrate, SCHEMA_VERSION, currentVersion } from './schema';
import type { SqlDatabase } from './sql/database';

/** Every table, parents before children, with the columns that order its rows (its primary key). */
const TABLES: readonly { name: string; key: string }[] = [
  { name: 'prompts', key: 'id' },
  { name: 'images', key: 'id' },
  { name: 'annotators', key: 'id' },
  { name: 'tags', key: 'id' },
  { name: 'comparisons', key: 'id' },
  { name: 'comparison_images', key: 'comparison_id, position' },
  { name: 'judgments', key: 'id' },
  { name: 'scores', key: 'model_id, image_id, prompt_id' },
  { name: 'image_tags', key: 'image_id, tag_id' },
  { name: 'comparison_tags', key: 'comparison_id, tag_id' },
  { name: 'score_failures', key: 'model_id, image_id' },
];
/** Columns the target computes itself: label_count is kept by triggers as the judgments arrive. */
const DERIVED: Readonly<Record<string, readonly string[]>> = { comparisons: ['label_count'] };
const ROWS_PER_INSERT = 500;

export interface TableCopy {
  table: string;
  rows: number;
  /** sha256 of the table's rows in key order, the same on both sides. */
  checksum: string;
}

export async function copyLibrary(source: SqlDatabase, target: SqlDatabase): Promise<TableCopy[]> {
  const version = await currentVersion(source);
  if (version !== SCHEMA_VERSION)
    throw new Error(
      `the source library is at schema version ${version}; open it once with this version first`,
    );
  await migrate(target);
  await target.transaction(async (tx) => {
    for (const table of TABLES) {
      const present = (await tx.get<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table.name}`))!.n;
      if (present > 0)
        throw new Error(
          `the target database is not empty (${table.name} has ${present} rows): copy into a new one`,
        );
    }
    for (const table of TABLES) await copyTable(source, tx, table);
    if (tx.dialect === 'postgres') await resetIdentities(tx);
  });
  // Fresh statistics for the planner: right after a bulk load PostgreSQL would otherwise plan the labeling
  // queries for empty tables until autovacuum gets round to it (bench/team measured next() far slower meanwhile).
  if (target.dialect === 'postgres') await target.exec('ANALYZE');
  const copies: TableCopy[] = [];
  for (const table of TABLES) {
    const [from, to] = [await tableChecksum(source, table), await tableChecksum(target, table)];
    if (from.rows !== to.rows || from.checksum !== to.checksum) {
      throw new Error(
        `${table.name} differs after the copy: ${from.rows} rows (${from.checksum.slice(0, 12)}) ` +
          `became ${to.rows} (${to.checksum.slice(0, 12)})`,
      );
    }
    copies.push({ table: table.name, ...from });
  }
  return copies;
}

async function copyTable(source: SqlDatabase, target: SqlDatabase, table: (typeof TABLES)[number]) {
  const rows = await source.all<Record<string, unknown>>(`SELECT * FROM ${table.name} ORDER BY ${table.key}`);
  if (rows.length === 0) return;
  const columns = Object.keys(rows[0]!).filter((column) => !DERIVED[table.name]?.includes(column));
  for (let start = 0; start < rows.length; start += ROWS_PER_INSERT) {
    const batch = rows.slice(start, start + ROWS_PER_INSERT);
    const tuple = `(${columns.map(() => '?').join(', ')})`;
    await target.run(
      `INSERT INTO ${table.name} (${columns.join(', ')}) VALUES ${batch.map(() => tuple).join(', ')}`,
      batch.flatMap((row) => columns.map((column) => row[column])),
    );
  }
}

/** Ids were inserted explicitly: each identity continues after the largest copied id. */
async function resetIdentities(tx: SqlDatabase): Promise<void> {
  for (const { name, key } of TABLES) {
    if (key !== 'id') continue;
    await tx.get(
      `SELECT setval(pg_get_serial_sequence('${name}', 'id'), COALESCE((SELECT MAX(id) FROM ${name}), 0) + 1, false)`,
    );
  }
}

export async function tableChecksum(
  db: SqlDatabase,
  table: { name: string; key: string },
): Promise<{ rows: number; checksum: string }> {
  const rows = await db.all<Record<string, unknown>>(`SELECT * FROM ${table.name} ORDER BY ${table.key}`);
  const hash = createHash('sha256');
  for (const row of rows) {
    // Columns by name, so both dialects' column order does not matter.
    const sorted = Object.keys(row)
      .sort()
      .map((column) => [column, row[column]]);
    hash.update(JSON.stringify(sorted)).update('\n');
  }
  return { rows: rows.length, checksum: hash.digest('hex') };
}
