// Every call's handler, one map. Typed as `Handlers`, so a call declared in the contract without a handler
// here fails typecheck. Add a file per area and spread it in.
import { jobHandlers } from './jobs';
import { systemHandlers } from './system';
import type { Handlers } from './types';

export const handlers: Handlers = {
  ...systemHandlers,
  ...jobHandlers,
};

export type { Handler, Handlers } from './types';
