import type { Handlers } from './types';

export const modelHandlers = {
  'models.catalog': async (_input, { app }) => app.models.catalog(),
  'models.download': async ({ id }, { app }) => app.models.download(id),
  'models.resume': async ({ id }, { app }) => app.models.resume(id),
  'models.pause': async ({ id }, { app }) => ({ paused: await app.models.pause(id) }),
  'models.cancel': async ({ id }, { app }) => ({ cancelled: await app.models.cancel(id) }),
  'models.delete': async ({ id }, { app }) => ({ freedBytes: await app.models.remove(id) }),
  'models.detect': async ({ path }, { app }) => app.models.detect(path),
  'models.import': async (input, { app }) => app.models.import(input),
  'models.diskUsage': async (_input, { app }) => app.models.diskUsage(),
} satisfies Partial<Handlers>;
