// Messages between the Electron main process and the engine host (utility process). Kept tiny: the host
// runs the same dispatcher as `serve`, so validation happens there once.
import type { CallResult, EventMessage } from '../main/contract';

export type MainToHost = { type: 'call'; id: number; name: string; input: unknown };

export type HostToMain =
  | { type: 'ready' }
  | { type: 'result'; id: number; result: CallResult }
  | { type: 'event'; message: EventMessage };

/** Environment variables the main process passes to the host. */
export const HOST_ENV = {
  libraryDir: 'HPS_LIBRARY_DIR',
  /** The user data folder (app.getPath('userData')); models go in its models/. */
  dataDir: 'HPS_DATA_DIR',
  appRoot: 'HPS_APP_ROOT',
  appVersion: 'HPS_APP_VERSION',
} as const;
