import { z } from 'zod';
import { defineCall, NoInput } from './define';

export const JobStateSchema = z.object({
  id: z.string(),
  kind: z.string(),
  title: z.string(),
  status: z.enum(['running', 'done', 'failed', 'cancelled']),
  progress: z.number().min(0).max(1),
  message: z.string(),
  error: z.string().optional(),
  startedAt: z.number(),
  finishedAt: z.number().optional(),
});

export const jobCalls = {
  'jobs.list': defineCall({
    summary: 'Running and recently finished jobs, newest first.',
    input: NoInput,
    output: z.object({ jobs: z.array(JobStateSchema) }),
  }),
  'jobs.cancel': defineCall({
    summary: 'Cancels a running job; `cancelled` is false when it was not running.',
    input: z.object({ id: z.string().min(1) }).strict(),
    output: z.object({ cancelled: z.boolean() }),
  }),
};
