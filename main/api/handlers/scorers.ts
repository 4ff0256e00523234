// Loaded scorers and their background scoring jobs, and near-duplicates by image embedding (scorer-service.ts).
import { ScorerService } from '../scorer-service';
import type { Handlers } from './types';

export const scorerHandlers = {
  'scorers.list': async (_input, ctx) => ({ scorers: ScorerService.of(ctx).list() }),
  'scorers.load': async (input, ctx) => ({ scorer: await ScorerService.of(ctx).load(input) }),
  'scorers.unload': async ({ id }, ctx) => ({ unloaded: await ScorerService.of(ctx).unload(id) }),
  'scorers.scoreLibrary': async ({ id, retryFailed }, ctx) => ({
    jobIds: ScorerService.of(ctx).scoreLibrary(id, { retryFailed }),
  }),
  'library.nearDuplicates': async ({ scorerId, threshold }, ctx) =>
    ScorerService.of(ctx).nearDuplicates(scorerId, threshold),
} satisfies Partial<Handlers>;
