// Generate calls: the studio's Generation (main/app/generation) does the work.
import type { Handlers } from './types';

export const generateHandlers = {
  'generate.start': async (settings, { app }) => {
    const { jobId, batchId } = app.generation.start(settings);
    return { jobId, batchId };
  },
  'generate.batch': async ({ batchId }, { app }) => app.generation.batches.read(batchId),
  'generate.models': async (_input, { app }) => app.generation.installedModels(),
  'generate.sendToLabeling': async (input, { app }) => app.generation.sendToLabeling(input),
  'generate.sendPairs': async (input, { app }) => app.generation.sendPairs(input),
} satisfies Partial<Handlers>;
