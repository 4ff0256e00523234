// The shape of `window.hps`, the object the Electron preload exposes: one method per call (named exactly as
// in the contract) returning a result envelope, plus `on` for events. Shared by electron/preload.ts and the
// renderer client, so both sides are checked against the contract.
import type { CallInput, CallName, CallOutput, CallResult, EventName, EventPayload } from './index';

export type HpsBridge = { [K in CallName]: (input: CallInput<K>) => Promise<CallResult<CallOutput<K>>> } & {
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void;
};

/** IPC channel names between preload and the Electron main process. */
export const IPC_CALL_CHANNEL = 'hps:call';
export const IPC_EVENT_CHANNEL = 'hps:event';

/** URL prefix of library files in the Electron shell (browser mode uses /library-files/). */
export const IMAGE_PROTOCOL = 'hps-image';
