import type { Handlers } from './types';

export const modelHandlers = {
  'models.catalog': async (_input, ctx) => ctx.models.catalog(),
  'models.download': async ({ id }, ctx) => ctx.models.download(id),
  'models.resume': async ({ id }, ctx) => ctx.models.resume(id),
  'models.pause': async ({ id }, ctx) => ({ paused: await ctx.models.pause(id) }),
  'models.cancel': async ({ id }, ctx) => ({ cancelled: await ctx.models.cancel(id) }),
  'models.delete': async ({ id }, ctx) => ({ freedBytes: await ctx.models.remove(id) }),
  'models.detect': async ({ path }, ctx) => ctx.models.detect(path),
  'models.import': async (input, ctx) => ctx.models.import(input),
  'models.diskUsage': async (_input, ctx) => ctx.models.diskUsage(),
} satisfies Partial<Handlers>;
