// The Library view's writes and exports: tags, exclusion, deletion and gold answers on chosen comparisons,
// and the public export formats; plus the status line every view starts from.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { CallInput, CallOutput } from '../contract';
import { ApiError } from '../contract/errors';
import { exportHpdV2, exportPairs, exportPickapic, exportScoresCsv, type Library } from '../services/library';
import type { App } from './app';
import { callerAnnotator, type AuthInfo } from './caller';
import { orderScorers } from './library-views';

export async function libraryStatus(app: App, auth: AuthInfo): Promise<CallOutput<'library.status'>> {
  const library = app.library;
  const me = await callerAnnotator(library, auth);
  const scored = await library.scores.models();
  return {
    me: { annotatorId: me.id, name: me.name, role: auth.role === 'annotator' ? 'annotator' : 'admin' },
    stats: await library.stats(),
    // Loaded scorers too: their chips show as pending until the background job reaches the image.
    scorers: orderScorers([...new Set([...scored, ...app.scorers.ids()])]),
    tags: await library.tags.list(),
  };
}

export async function exportLibrary(
  library: Library,
  { format, out, modelId }: CallInput<'library.export'>,
): Promise<CallOutput<'library.export'>> {
  const file = path.resolve(out);
  mkdirSync(path.dirname(file), { recursive: true });
  return failAsBadRequest(() => {
    switch (format) {
      case 'pairs-jsonl':
        return exportPairs(library, file);
      case 'hpd-v2':
        return exportHpdV2(library, file);
      case 'pickapic':
        return exportPickapic(library, file);
      case 'scores-csv':
        return exportScoresCsv(library, file, modelId ? { modelId } : {});
    }
  });
}

export async function tagComparisons(
  library: Library,
  { comparisonIds, tag, remove }: CallInput<'library.tag'>,
) {
  const existing = await existingComparisons(library, comparisonIds);
  if (remove) await library.tags.removeFromComparisons(existing, tag);
  else await library.tags.addToComparisons(existing, tag);
  return { changed: existing.length };
}

export async function excludeComparisons(library: Library, ids: readonly number[], excluded: boolean) {
  return { changed: await eachExisting(library, ids, (tx, id) => tx.setExcluded(id, excluded)) };
}

export async function deleteComparisons(library: Library, ids: readonly number[]) {
  return { deleted: await eachExisting(library, ids, (tx, id) => tx.deleteComparison(id)) };
}

export async function setGold(library: Library, comparisonId: number, imageId: number | null) {
  await failAsBadRequest(() => library.setGold(comparisonId, imageId));
  return { ok: true as const };
}

/** The ids that name a comparison, in the order given. */
async function existingComparisons(library: Library, ids: readonly number[]): Promise<number[]> {
  const existing: number[] = [];
  for (const id of ids) if (await library.getComparison(id)) existing.push(id);
  return existing;
}

/** One transaction; ids with no comparison are skipped. Returns how many were changed. */
function eachExisting(
  library: Library,
  ids: readonly number[],
  work: (tx: Library, id: number) => Promise<void>,
): Promise<number> {
  return library.transaction(async (tx) => {
    let changed = 0;
    for (const id of ids) {
      if (!(await tx.getComparison(id))) continue;
      await work(tx, id);
      changed++;
    }
    return changed;
  });
}

async function failAsBadRequest<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw new ApiError('bad_request', (err as Error).message);
  }
}
