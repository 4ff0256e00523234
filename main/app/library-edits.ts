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

export function libraryStatus(app: App, auth: AuthInfo): CallOutput<'library.status'> {
  const library = app.library;
  const me = callerAnnotator(library, auth);
  return {
    me: { annotatorId: me.id, name: me.name, role: auth.role === 'annotator' ? 'annotator' : 'admin' },
    stats: library.stats(),
    // Loaded scorers too: their chips show as pending until the background job reaches the image.
    scorers: orderScorers([...new Set([...library.scores.models(), ...app.scorers.list().map((s) => s.id)])]),
    tags: library.tags.list(),
  };
}

export function exportLibrary(
  library: Library,
  { format, out, modelId }: CallInput<'library.export'>,
): CallOutput<'library.export'> {
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

export function tagComparisons(library: Library, { comparisonIds, tag, remove }: CallInput<'library.tag'>) {
  const existing = comparisonIds.filter((id) => library.getComparison(id));
  if (remove) library.tags.removeFromComparisons(existing, tag);
  else library.tags.addToComparisons(existing, tag);
  return { changed: existing.length };
}

export function excludeComparisons(library: Library, ids: readonly number[], excluded: boolean) {
  return { changed: eachExisting(library, ids, (id) => library.setExcluded(id, excluded)) };
}

export function deleteComparisons(library: Library, ids: readonly number[]) {
  return { deleted: eachExisting(library, ids, (id) => library.deleteComparison(id)) };
}

export function setGold(library: Library, comparisonId: number, imageId: number | null) {
  failAsBadRequest(() => library.setGold(comparisonId, imageId));
  return { ok: true as const };
}

/** One transaction; ids with no comparison are skipped. Returns how many were changed. */
function eachExisting(library: Library, ids: readonly number[], work: (id: number) => void): number {
  return library.transaction(() => {
    let changed = 0;
    for (const id of ids) {
      if (!library.getComparison(id)) continue;
      work(id);
      changed++;
    }
    return changed;
  });
}

function failAsBadRequest<T>(work: () => T): T {
  try {
    return work();
  } catch (err) {
    throw new ApiError('bad_request', (err as Error).message);
  }
}
