import { curationGrid, duplicates } from '../../app/curation';
import {
  deleteComparisons,
  excludeComparisons,
  exportLibrary,
  libraryStatus,
  setGold,
  tagComparisons,
} from '../../app/library-edits';
import type { Handlers } from './types';

export const libraryHandlers = {
  'library.status': async (_input, { app, auth }) => libraryStatus(app, auth),
  'library.import': async (input, { app }) => app.imports.start(input),
  'library.importReport': async ({ jobId }, { app }) => app.imports.outcome(jobId),
  'library.export': async (input, { app }) => exportLibrary(app.library, input),
  'library.comparisons': async (query, { app }) => curationGrid(app.library, query),
  'library.tag': async (input, { app }) => tagComparisons(app.library, input),
  'library.exclude': async ({ comparisonIds, excluded }, { app }) =>
    excludeComparisons(app.library, comparisonIds, excluded),
  'library.delete': async ({ comparisonIds }, { app }) => deleteComparisons(app.library, comparisonIds),
  'library.setGold': async ({ comparisonId, imageId }, { app }) =>
    setGold(app.library, comparisonId, imageId),
  'library.duplicates': async (_input, { app }) => duplicates(app.library),
} satisfies Partial<Handlers>;
