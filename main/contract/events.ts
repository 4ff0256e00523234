// Events main → renderer. Each is declared once here; the bus validates payloads against these schemas.
import { z } from 'zod';
import { JobStateSchema } from './jobs';
import { generateEvents } from './generate';
import { modelEvents } from './models';
import { trainingEvents } from './training';

export const events = {
  /** A job started, progressed or finished (progress updates are coalesced to ~10 per second per job). */
  'job.progress': JobStateSchema,
  /** A scorer produced a score for a library image. */
  'score.updated': z.object({
    imageId: z.string(),
    scorerId: z.string(),
    /** On the scale the scorer's anchor publishes (HPS: 100 × cosine). */
    score: z.number(),
  }),
  ...modelEvents,
  ...generateEvents,
  ...trainingEvents,
};
