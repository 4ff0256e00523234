import type { Handlers } from './types';

export const scorerHandlers = {
  'scorers.list': async (_input, { app }) => ({ scorers: await app.scorers.list() }),
  'scorers.load': async (input, { app }) => ({ scorer: await app.scorers.load(input) }),
  'scorers.unload': async ({ id }, { app }) => ({ unloaded: await app.scorers.unload(id) }),
  'scorers.scoreLibrary': async ({ id, retryFailed }, { app }) => ({
    jobIds: app.scorers.scoreLibrary(id, { retryFailed }),
  }),
  'library.nearDuplicates': async ({ scorerId, threshold }, { app }) =>
    app.scorers.nearDuplicates(scorerId, threshold),
} satisfies Partial<Handlers>;
