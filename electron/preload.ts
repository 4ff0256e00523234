// Preload (sandboxed, context-isolated): exposes `window.hps` with one method per contract call and `on` for
// events. The renderer never sees ipcRenderer; payloads are validated in the engine host before any handler.
// The call and event names are baked in at build time (scripts/build-electron.mjs) from main/contract,
// so the preload stays a few KB instead of bundling zod and every schema.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { IPC_CALL_CHANNEL, IPC_EVENT_CHANNEL } from '../main/contract/bridge';
import type { CallResult, EventMessage } from '../main/contract';

declare const __HPS_CALL_NAMES__: readonly string[];
declare const __HPS_EVENT_NAMES__: readonly string[];

const bridge: Record<string, unknown> = Object.fromEntries(
  __HPS_CALL_NAMES__.map((name) => [
    name,
    (input: unknown): Promise<CallResult> => ipcRenderer.invoke(IPC_CALL_CHANNEL, name, input),
  ]),
);

bridge.on = (event: string, listener: (payload: unknown) => void): (() => void) => {
  if (!__HPS_EVENT_NAMES__.includes(event)) throw new Error(`unknown event "${event}"`);
  const handler = (_e: IpcRendererEvent, message: EventMessage) => {
    if (message.event === event) listener(message.payload);
  };
  ipcRenderer.on(IPC_EVENT_CHANNEL, handler);
  return () => void ipcRenderer.removeListener(IPC_EVENT_CHANNEL, handler);
};

contextBridge.exposeInMainWorld('hps', bridge);
