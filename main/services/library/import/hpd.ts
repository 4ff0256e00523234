import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { Library } from '../library';
import type { ImageRecord } from '../types';
import { ImportSession, type ImportOptions, type ImportReport } from './common';
import { validate } from './lines';

// HPD v1 (tgxs002/align_sd preference_{train,test}.json): human_preference is the index of the chosen image.
const HpdV1Item = z.object({
  prompt: z.string().min(1),
  file_path: z.array(z.string()).min(2),
  human_preference: z.number().int().nonnegative(),
  id: z.union([z.number(), z.string()]).optional(),
  user_hash: z.string().optional(),
});

// HPD v2 train.json: human_preference is one entry per image, 1 = preferred. The README calls the paths
// `file_path`, the released file `image_path`; both are accepted.
const HpdV2TrainItem = z.object({
  prompt: z.string().min(1),
  image_path: z.array(z.string()).min(2).optional(),
  file_path: z.array(z.string()).min(2).optional(),
  human_preference: z.array(z.number()).min(2),
  user_hash: z.string().optional(),
});

// HPD v2 test.json: rank per image (1 = best), plus each annotator's own ranks when present.
const RawAnnotation = z.object({ rank: z.array(z.number()), user_hash: z.string().optional() });
const HpdV2TestItem = z.object({
  prompt: z.string().min(1),
  image_path: z.array(z.string()).min(2),
  rank: z.array(z.number()),
  raw_annotations: z.array(RawAnnotation).optional(),
  raw_annotation: z.array(RawAnnotation).optional(),
});

export interface HpdImportOptions extends ImportOptions {
  /** Folder the item paths are relative to; by default the JSON file's folder and its usual sub-folders. */
  imageRoot?: string;
}

type Item =
  | { shape: 'hpd-v1'; value: z.infer<typeof HpdV1Item> }
  | { shape: 'hpd-v2-train'; value: z.infer<typeof HpdV2TrainItem> }
  | { shape: 'hpd-v2-test'; value: z.infer<typeof HpdV2TestItem> };

/** Imports HPD v1 `preference_*.json`, HPD v2 `train.json` or `test.json`; the shape is told from each item. */
export async function importHpd(
  library: Library,
  file: string,
  options: HpdImportOptions = {},
): Promise<ImportReport> {
  const session = new ImportSession(library, 'hpd');
  let items: unknown;
  try {
    items = JSON.parse(await readFile(file, 'utf8'));
    if (!Array.isArray(items)) throw new Error('expected a JSON array of items');
  } catch (error) {
    session.fail(file, error);
    return session.report;
  }
  const roots = candidateRoots(file, options.imageRoot);
  const tag = path.basename(file);
  session.report.records = items.length;
  for (const [index, raw] of (items as unknown[]).entries()) {
    const where = `${file}[${index}]`;
    await session.checkCancelled(options.signal);
    options.onProgress?.({ done: index, total: items.length, file: where });
    try {
      const item = classify(raw);
      session.report.format = item.shape;
      await importItem(session, item, roots, where, `${item.shape}:${tag}:${index}`);
    } catch (error) {
      session.fail(where, error);
    }
  }
  await session.flush();
  options.onProgress?.({ done: items.length, total: items.length });
  return session.report;
}

function classify(raw: unknown): Item {
  const record = (raw ?? {}) as Record<string, unknown>;
  if (typeof record.human_preference === 'number')
    return { shape: 'hpd-v1', value: validate(HpdV1Item, raw) };
  if (Array.isArray(record.human_preference))
    return { shape: 'hpd-v2-train', value: validate(HpdV2TrainItem, raw) };
  if (Array.isArray(record.rank)) return { shape: 'hpd-v2-test', value: validate(HpdV2TestItem, raw) };
  throw new Error('not an HPD item: needs human_preference (v1 index or v2 list) or rank (v2 test)');
}

async function importItem(
  session: ImportSession,
  item: Item,
  roots: string[],
  where: string,
  key: string,
): Promise<void> {
  const paths = itemPaths(item);
  const images: ImageRecord[] = [];
  for (const relative of paths) {
    const image = await session.imageFromFile(resolveImage(roots, relative));
    if (!image) throw new Error(`image ${relative} could not be imported`);
    images.push(image);
  }
  if (new Set(images.map((image) => image.id)).size !== images.length)
    throw new Error('item lists the same image twice');
  const imageIds = images.map((image) => image.id);
  const prompt = item.value.prompt;
  await session.stage(where, async (tx) => {
    const comparison = await session.comparison(tx, { prompt, imageIds, source: item.shape });
    const base = { comparisonId: comparison.id, shownOrder: imageIds };
    if (item.shape === 'hpd-v1') {
      const chosen = imageIds[item.value.human_preference];
      if (chosen === undefined)
        throw new Error(`human_preference ${item.value.human_preference} is out of range`);
      await session.judgment(tx, item.value.user_hash ?? 'hpd-v1', {
        ...base,
        kind: 'choice',
        chosenImageId: chosen,
        idempotencyKey: key,
      });
    } else if (item.shape === 'hpd-v2-train') {
      await session.judgment(tx, item.value.user_hash ?? 'hpd-v2', {
        ...base,
        ...fromPreference(item.value.human_preference, imageIds),
        idempotencyKey: key,
      });
    } else {
      const raws = item.value.raw_annotations ?? item.value.raw_annotation ?? [];
      const rankings = raws.length > 0 ? raws : [{ rank: item.value.rank, user_hash: 'hpd-v2' }];
      for (const [n, annotation] of rankings.entries()) {
        await session.judgment(tx, annotation.user_hash ?? `hpd-v2-annotator-${n}`, {
          ...base,
          kind: 'ranking',
          ranking: rankingFromRanks(annotation.rank, imageIds),
          idempotencyKey: `${key}:${n}`,
        });
      }
    }
  });
}

function itemPaths(item: Item): string[] {
  if (item.shape === 'hpd-v1') return item.value.file_path;
  if (item.shape === 'hpd-v2-test') return item.value.image_path;
  const paths = item.value.image_path ?? item.value.file_path;
  if (!paths) throw new Error('item has neither image_path nor file_path');
  return paths;
}

function fromPreference(
  preference: number[],
  imageIds: number[],
): { kind: 'choice' | 'tie'; chosenImageId?: number } {
  if (preference.length !== imageIds.length)
    throw new Error('human_preference and image_path differ in length');
  const top = Math.max(...preference);
  const best = preference.flatMap((value, index) => (value === top ? [index] : []));
  if (best.length === 1) return { kind: 'choice', chosenImageId: imageIds[best[0]!]! };
  if (best.length === imageIds.length) return { kind: 'tie' };
  throw new Error(`human_preference ${JSON.stringify(preference)} names several but not all images`);
}

/** Per-image ranks (1 = best) → image ids best first; equal ranks keep the listed order. */
export function rankingFromRanks(ranks: number[], imageIds: number[]): number[] {
  if (ranks.length !== imageIds.length) throw new Error('rank and image_path differ in length');
  return imageIds
    .map((id, index) => ({ id, rank: ranks[index]!, index }))
    .sort((a, b) => a.rank - b.rank || a.index - b.index)
    .map((entry) => entry.id);
}

function candidateRoots(file: string, imageRoot: string | undefined): string[] {
  const dir = path.dirname(file);
  const split = path.basename(file, '.json').replace(/^preference_/, '');
  const roots = [dir, path.join(dir, split), path.join(dir, 'preference_images')];
  return imageRoot ? [imageRoot, ...roots] : roots;
}

function resolveImage(roots: string[], relative: string): string {
  const found = roots.map((root) => path.resolve(root, relative)).find((candidate) => existsSync(candidate));
  return found ?? path.resolve(roots[0]!, relative);
}
