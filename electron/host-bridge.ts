// Bridges renderer IPC to the engine host (utility process): validates the calling frame, forwards the call,
// and fans host events out to every window. Restarts the host if it dies, failing the calls in flight.
import { join } from 'node:path';
import {
  BrowserWindow,
  ipcMain,
  utilityProcess,
  type IpcMainInvokeEvent,
  type UtilityProcess,
} from 'electron';
import { IPC_CALL_CHANNEL, IPC_EVENT_CHANNEL } from '../main/api/bridge';
import type { CallResult } from '../main/api/contract';
import { HOST_ENV, type HostToMain, type MainToHost } from './host-protocol';
import { isAppUrl } from './protocols';

export interface HostOptions {
  hostScript: string;
  appRoot: string;
  libraryDir: string;
  appVersion: string;
}

export class HostBridge {
  private child: UtilityProcess | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, (result: CallResult) => void>();
  private stopping = false;

  constructor(private readonly options: HostOptions) {}

  start(): void {
    const child = utilityProcess.fork(this.options.hostScript, [], {
      serviceName: 'HPS Studio engine',
      cwd: this.options.appRoot,
      env: {
        ...process.env,
        [HOST_ENV.appRoot]: this.options.appRoot,
        [HOST_ENV.libraryDir]: this.options.libraryDir,
        [HOST_ENV.appVersion]: this.options.appVersion,
        NODE_OPTIONS: '',
      },
    });
    child.on('message', (message: HostToMain) => this.onHostMessage(message));
    child.on('exit', (code) => {
      this.child = null;
      for (const [id, resolve] of this.pending) {
        resolve({
          ok: false,
          error: { code: 'internal', message: `the engine process stopped (exit code ${code})` },
        });
        this.pending.delete(id);
      }
      if (!this.stopping) this.start();
    });
    this.child = child;
  }

  stop(): void {
    this.stopping = true;
    this.child?.kill();
  }

  listen(): void {
    ipcMain.handle(
      IPC_CALL_CHANNEL,
      (event: IpcMainInvokeEvent, name: unknown, input: unknown): Promise<CallResult> => {
        // Only our own top-level UI may call the API; anything else (an injected frame, a navigated page) is refused.
        const frame = event.senderFrame;
        if (!frame || frame !== event.sender.mainFrame || !isAppUrl(frame.url)) {
          return Promise.resolve({
            ok: false,
            error: { code: 'forbidden', message: 'calls are only accepted from the app window' },
          });
        }
        if (typeof name !== 'string')
          return Promise.resolve({
            ok: false,
            error: { code: 'bad_request', message: 'call name must be a string' },
          });
        return this.call(name, input);
      },
    );
  }

  private call(name: string, input: unknown): Promise<CallResult> {
    const child = this.child;
    if (!child)
      return Promise.resolve({
        ok: false,
        error: { code: 'internal', message: 'the engine process is restarting; try again' },
      });
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      child.postMessage({ type: 'call', id, name, input } satisfies MainToHost);
    });
  }

  private onHostMessage(message: HostToMain): void {
    if (message.type === 'result') {
      this.pending.get(message.id)?.(message.result);
      this.pending.delete(message.id);
    } else if (message.type === 'event') {
      for (const window of BrowserWindow.getAllWindows())
        window.webContents.send(IPC_EVENT_CHANNEL, message.message);
    }
  }
}

export const hostScriptPath = (distElectronDir: string) => join(distElectronDir, 'host.cjs');
