// Every call's handler, one map. Typed as `Handlers`, so a call declared in the contract without a handler
// here fails typecheck. Add a file per area and spread it in.
import { evaluationHandlers } from './evaluation';
import { generateHandlers } from './generate';
import { jobHandlers } from './jobs';
import { labelingHandlers } from './labeling';
import { libraryHandlers } from './library';
import { modelHandlers } from './models';
import { scorerHandlers } from './scorers';
import { systemHandlers } from './system';
import { trainingHandlers } from './training';
import type { Handlers } from './types';

export const handlers: Handlers = {
  ...systemHandlers,
  ...jobHandlers,
  ...libraryHandlers,
  ...labelingHandlers,
  ...evaluationHandlers,
  ...modelHandlers,
  ...generateHandlers,
  ...trainingHandlers,
  ...scorerHandlers,
};

export type { Handler, Handlers } from './types';
