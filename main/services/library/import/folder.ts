import path from 'node:path';
import { z } from 'zod';
import type { Library } from '../library';
import type { ImageRecord } from '../types';
import { ImportSession, type ImportOptions, type ImportReport } from './common';
import { readCsv, readJsonl } from './lines';

const PromptRow = z.object({
  image: z.string().min(1, 'image path is empty'),
  prompt: z.string().min(1, 'prompt is empty'),
  group: z
    .union([z.string(), z.number()])
    .nullish()
    .transform((group) => (group == null || group === '' ? null : String(group))),
  // Marks the known best image of its prompt (a gold item for annotator checks): true/1/yes.
  gold: z
    .union([z.boolean(), z.number(), z.string()])
    .nullish()
    .transform(
      (gold) => gold === true || gold === 1 || (typeof gold === 'string' && /^(1|true|yes)$/i.test(gold)),
    ),
});

export interface FolderImportOptions extends ImportOptions {
  /**
   * How images that share a prompt (and group) become comparisons: one N-way comparison ('group', default),
   * or every pair of them ('pairs') for the two-up view.
   */
  split?: 'group' | 'pairs';
}

/**
 * A folder of images plus a prompts file (CSV with a header, or JSONL): image (path relative to the folder),
 * prompt, optional group, optional gold (the known best image). Images sharing a prompt and group form a
 * comparison; a comparison that contains a gold image gets it as its gold answer.
 */
export async function importFolder(
  library: Library,
  folder: string,
  promptsFile: string,
  options: FolderImportOptions = {},
): Promise<ImportReport> {
  const session = new ImportSession(library, 'folder');
  const parsed = /\.jsonl?$/i.test(promptsFile)
    ? await readJsonl(promptsFile, PromptRow)
    : await readCsv(promptsFile, PromptRow);
  parsed.errors.forEach((error) => session.fail(error.file, error.message));
  session.report.records = parsed.records.length + parsed.errors.length;

  const groups = new Map<
    string,
    { prompt: string; group: string | null; images: ImageRecord[]; gold: ImageRecord[]; where: string }
  >();
  for (const [index, { where, value }] of parsed.records.entries()) {
    const file = path.resolve(folder, value.image);
    await session.checkCancelled(options.signal);
    options.onProgress?.({ done: index, total: parsed.records.length, file });
    const image = await session.imageFromFile(file);
    if (!image) continue;
    const key = JSON.stringify([value.prompt, value.group]);
    const entry = groups.get(key) ?? {
      prompt: value.prompt,
      group: value.group,
      images: [],
      gold: [],
      where,
    };
    if (!entry.images.some((known) => known.id === image.id)) entry.images.push(image);
    if (value.gold && !entry.gold.some((known) => known.id === image.id)) entry.gold.push(image);
    groups.set(key, entry);
  }
  options.onProgress?.({ done: parsed.records.length, total: parsed.records.length });

  for (const { prompt, group, images, gold, where } of groups.values()) {
    if (images.length < 2) {
      session.fail(where, `prompt "${prompt}" has ${images.length} readable image(s); a comparison needs 2`);
      continue;
    }
    if (gold.length > 1) {
      session.fail(
        where,
        `prompt "${prompt}" marks ${gold.length} images as gold; at most one can be the best`,
      );
      continue;
    }
    for (const set of options.split === 'pairs' ? pairsOf(images) : [images]) {
      const goldImageId = gold[0] && set.includes(gold[0]) ? gold[0].id : null;
      await session.stage(where, async (tx) => {
        await session.comparison(tx, {
          prompt,
          group,
          imageIds: set.map((image) => image.id),
          goldImageId,
          source: 'folder',
        });
      });
    }
  }
  await session.flush();
  return session.report;
}

function pairsOf<T>(items: readonly T[]): T[][] {
  return items.flatMap((first, i) => items.slice(i + 1).map((second) => [first, second]));
}
