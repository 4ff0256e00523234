import type { Handlers } from './types';

export const labelingHandlers = {
  'labeling.next': async ({ exclude }, { app, auth }) => app.labeling.next(exclude, auth),
  'labeling.submit': async (input, { app, auth }) => app.labeling.submit(input, auth),
  'labeling.undo': async (_input, { app, auth }) => app.labeling.undo(auth),
  'labeling.progress': async (_input, { app, auth }) => app.labeling.progress(auth),
  'labeling.settings': async (_input, { app }) => app.labeling.settings(),
  'labeling.setSettings': async (settings, { app }) => app.labeling.setSettings(settings),
  'labeling.setQueue': async (input, { app, auth }) => app.labeling.setQueue(input, auth),
  'labeling.clearQueue': async (_input, { app }) => ({ cleared: app.labeling.clearQueue() }),
  'labeling.queue': async (_input, { app, auth }) => app.labeling.queue(auth),
} satisfies Partial<Handlers>;
