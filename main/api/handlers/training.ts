// Training calls: the studio's TrainingRuns (main/app/training-runs.ts) does the work.
import type { Handlers } from './types';

export const trainingHandlers = {
  'training.start': async (settings, { app }) => app.training.start(settings),
  'training.pause': async ({ jobId }, { app }) => {
    app.training.command(jobId, 'pause');
    return { paused: true };
  },
  'training.resume': async ({ jobId }, { app }) => {
    app.training.command(jobId, 'resume');
    return { resumed: true };
  },
  'training.restart': async ({ runId }, { app }) => app.training.restart(runId),
  'training.live': async (_input, { app }) => app.training.liveRuns(),
  'training.runs': async (_input, { app }) => app.training.history(),
  'training.scorerStart': async (settings, { app }) => app.training.startScorer(settings),
  'training.labelNext': async (input, { app }) => app.training.labelNext(input),
} satisfies Partial<Handlers>;
