import path from 'node:path';
import { z } from 'zod';
import { JUDGMENT_KINDS } from '../../../contract/names';
import type { Library } from '../library';
import type { ImageRecord } from '../types';
import { ImportSession, type ImportOptions, type ImportReport } from './common';
import { readJsonl, type ParsedRecord } from './lines';

/**
 * One line of a pairs JSONL file. `prompt`, `chosen`, `rejected`, `tie`, `annotator` are the common pair
 * format; the other fields are what our own export adds so that export → import loses nothing:
 * `id` groups the lines of one judgment (an N-way choice or ranking is written as several pairs).
 */
export const PairLine = z.object({
  prompt: z.string().min(1),
  chosen: z.string().min(1).nullish(),
  rejected: z.string().min(1).nullish(),
  tie: z.boolean().optional().default(false),
  annotator: z.string().min(1).nullish(),
  time: z
    .string()
    .refine((time) => !Number.isNaN(Date.parse(time)), 'time is not an ISO date')
    .nullish(),
  id: z.string().min(1).optional(),
  /** 'none': a comparison our export wrote without a judgment. */
  kind: z.enum([...JUDGMENT_KINDS, 'none']).optional(),
  images: z.array(z.string().min(1)).min(2).optional(),
  ranking: z.array(z.string().min(1)).optional(),
  shown: z.array(z.string().min(1)).optional(),
  ms: z.number().int().nonnegative().nullish(),
  group: z.string().nullish(),
  gold: z.string().nullish(),
});
export type PairLine = z.infer<typeof PairLine>;

/** Pairs JSONL: image paths are relative to the JSONL file's folder. */
export async function importPairs(
  library: Library,
  file: string,
  options: ImportOptions = {},
): Promise<ImportReport> {
  const session = new ImportSession(library, 'pairs-jsonl');
  const parsed = await readJsonl(file, PairLine);
  parsed.errors.forEach((error) => session.fail(error.file, error.message));
  session.report.records = parsed.records.length + parsed.errors.length;
  const judgments = groupById(parsed.records, path.basename(file));
  const folder = path.dirname(file);
  let done = 0;
  for (const [key, first] of judgments) {
    await session.checkCancelled(options.signal);
    options.onProgress?.({ done: done++, total: judgments.size, file: first.where });
    try {
      await importJudgment(session, folder, key, first);
    } catch (error) {
      session.fail(first.where, error);
    }
  }
  await session.flush();
  options.onProgress?.({ done: judgments.size, total: judgments.size });
  return session.report;
}

/** Lines sharing an `id` are one judgment; the first line carries everything needed. */
function groupById(records: ParsedRecord<PairLine>[], tag: string): Map<string, ParsedRecord<PairLine>> {
  const byKey = new Map<string, ParsedRecord<PairLine>>();
  for (const record of records) {
    const key = record.value.id ?? `pairs:${tag}:${record.where.slice(record.where.lastIndexOf(':') + 1)}`;
    if (!byKey.has(key)) byKey.set(key, record);
  }
  return byKey;
}

async function importJudgment(
  session: ImportSession,
  folder: string,
  key: string,
  record: ParsedRecord<PairLine>,
): Promise<void> {
  const line = record.value;
  const kind = line.kind ?? (line.tie ? 'tie' : 'choice');
  const paths =
    line.images ?? [line.chosen, line.rejected].filter((item): item is string => typeof item === 'string');
  if (paths.length < 2) throw new Error('a pair needs chosen and rejected (or images)');
  const byPath = new Map<string, ImageRecord>();
  for (const relative of new Set([
    ...paths,
    ...(line.ranking ?? []),
    ...(line.shown ?? []),
    ...(line.chosen ? [line.chosen] : []),
  ])) {
    const image = await session.imageFromFile(path.resolve(folder, relative));
    if (!image) throw new Error(`image ${relative} could not be imported`);
    byPath.set(relative, image);
  }
  const id = (relative: string): number => {
    const image = byPath.get(relative);
    if (!image) throw new Error(`${relative} is not one of the line's images`);
    return image.id;
  };
  const imageIds = paths.map(id);
  await session.stage(record.where, async (tx) => {
    const comparison = await session.comparison(tx, {
      prompt: line.prompt,
      imageIds,
      group: line.group ?? null,
      goldImageId: line.gold ? id(line.gold) : null,
      source: 'pairs-jsonl',
    });
    if (kind === 'none') return;
    await session.judgment(tx, line.annotator ?? 'pairs-import', {
      comparisonId: comparison.id,
      kind,
      chosenImageId: kind === 'choice' ? id(requirePath(line.chosen, 'chosen')) : null,
      ranking: kind === 'ranking' ? requireList(line.ranking, 'ranking').map(id) : null,
      shownOrder: line.shown ? line.shown.map(id) : imageIds,
      decisionMs: line.ms ?? null,
      idempotencyKey: key,
      createdAt: line.time ?? undefined,
    });
  });
}

function requirePath(value: string | null | undefined, field: string): string {
  if (!value) throw new Error(`${field} is missing`);
  return value;
}

function requireList(value: string[] | undefined, field: string): string[] {
  if (!value) throw new Error(`${field} is missing`);
  return value;
}
