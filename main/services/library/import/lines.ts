import { readFile } from 'node:fs/promises';
import { parse } from 'csv-parse/sync';
import { type z } from 'zod';

export interface ParsedRecord<T> {
  /** `file:line` for JSONL, `file#row` for CSV (row 1 = first data row). */
  where: string;
  value: T;
}

export interface ParseResult<T> {
  records: ParsedRecord<T>[];
  errors: { file: string; message: string }[];
}

/** Reads JSONL (one object per line; blank lines ignored) and validates each line against the schema. */
export async function readJsonl<T>(file: string, schema: z.ZodType<T>): Promise<ParseResult<T>> {
  const text = await readFile(file, 'utf8');
  const result: ParseResult<T> = { records: [], errors: [] };
  text.split(/\r?\n/).forEach((line, index) => {
    if (line.trim() === '') return;
    const where = `${file}:${index + 1}`;
    try {
      result.records.push({ where, value: validate(schema, JSON.parse(line)) });
    } catch (error) {
      result.errors.push({ file: where, message: (error as Error).message });
    }
  });
  return result;
}

/** Reads a CSV with a header row through csv-parse and validates each row. */
export async function readCsv<T>(file: string, schema: z.ZodType<T>): Promise<ParseResult<T>> {
  const rows = parse(await readFile(file), {
    columns: (header: string[]) => header.map((name) => name.trim().toLowerCase()),
    skip_empty_lines: true,
    trim: true,
    bom: true,
  }) as Record<string, string>[];
  const result: ParseResult<T> = { records: [], errors: [] };
  rows.forEach((row, index) => {
    const where = `${file}#${index + 1}`;
    try {
      result.records.push({ where, value: validate(schema, row) });
    } catch (error) {
      result.errors.push({ file: where, message: (error as Error).message });
    }
  });
  return result;
}

export function validate<T>(schema: z.ZodType<T>, value: unknown): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new Error(
    parsed.error.issues.map((issue) => `${issue.path.join('.') || 'record'}: ${issue.message}`).join('; '),
  );
}
