import type { Handlers } from './types';

export const jobHandlers = {
  'jobs.list': async (_input, ctx) => ({ jobs: ctx.jobs.list() }),
  'jobs.cancel': async ({ id }, ctx) => ({ cancelled: ctx.jobs.cancel(id) }),
} satisfies Partial<Handlers>;
