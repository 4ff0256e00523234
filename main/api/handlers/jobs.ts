import type { Handlers } from './types';

export const jobHandlers = {
  'jobs.list': async (_input, { app }) => ({ jobs: app.jobs.list() }),
  'jobs.cancel': async ({ id }, { app }) => ({ cancelled: app.jobs.cancel(id) }),
} satisfies Partial<Handlers>;
