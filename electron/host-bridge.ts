// Bridges renderer IPC to the engine host (utility process): validates the calling frame, forwards the call,
// and fans host events out to every window. Calls wait until the host has loaded main/. If the host dies,
// the calls in flight fail and it is restarted, but not in a loop: after MAX_RESTARTS quick deaths it stays down.
import { join } from 'node:path';
import {
  BrowserWindow,
  ipcMain,
  utilityProcess,
  type IpcMainInvokeEvent,
  type UtilityProcess,
} from 'electron';
import { IPC_CALL_CHANNEL, IPC_EVENT_CHANNEL } from '../main/contract/bridge';
import type { CallResult } from '../main/contract';
import { HOST_ENV, type HostToMain, type MainToHost } from './host-protocol';
import { isAppUrl } from './protocols';

export interface HostOptions {
  hostScript: string;
  appRoot: string;
  libraryDir: string;
  dataDir: string;
  appVersion: string;
}

const MAX_RESTARTS = 3;
const RESTART_WINDOW_MS = 60_000;

export class HostBridge {
  private child: UtilityProcess | null = null;
  private ready: Promise<void> = Promise.resolve();
  private markReady: () => void = () => {};
  private readonly restarts: number[] = [];
  private nextId = 1;
  private readonly pending = new Map<number, (result: CallResult) => void>();
  private stopping = false;

  constructor(private readonly options: HostOptions) {}

  start(): void {
    this.ready = new Promise((resolve) => (this.markReady = resolve));
    const child = utilityProcess.fork(this.options.hostScript, [], {
      serviceName: 'HPS Studio engine',
      cwd: this.options.appRoot,
      env: {
        ...process.env,
        [HOST_ENV.appRoot]: this.options.appRoot,
        [HOST_ENV.libraryDir]: this.options.libraryDir,
        [HOST_ENV.dataDir]: this.options.dataDir,
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
      const now = Date.now();
      while (this.restarts.length > 0 && now - this.restarts[0]! > RESTART_WINDOW_MS) this.restarts.shift();
      if (this.stopping || this.restarts.length >= MAX_RESTARTS) return;
      this.restarts.push(now);
      this.start();
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
        if (typeof name !== 'string') {
          return Promise.resolve({
            ok: false,
            error: { code: 'bad_request', message: 'call name must be a string' },
          });
        }
        return this.call(name, input);
      },
    );
  }

  private call(name: string, input: unknown): Promise<CallResult> {
    if (!this.child) {
      return Promise.resolve({
        ok: false,
        error: { code: 'internal', message: 'the engine process is not running; restart HPS Studio' },
      });
    }
    const id = this.nextId++;
    return new Promise((resolve) => {
      // Registered first, so a host that dies before it is ready fails this call through the exit handler.
      this.pending.set(id, resolve);
      void this.ready.then(() => {
        if (this.pending.has(id))
          this.child?.postMessage({ type: 'call', id, name, input } satisfies MainToHost);
      });
    });
  }

  private onHostMessage(message: HostToMain): void {
    if (message.type === 'ready') {
      this.markReady();
    } else if (message.type === 'result') {
      this.pending.get(message.id)?.(message.result);
      this.pending.delete(message.id);
    } else if (message.type === 'event') {
      for (const window of BrowserWindow.getAllWindows())
        window.webContents.send(IPC_EVENT_CHANNEL, message.message);
    }
  }
}

export const hostScriptPath = (distElectronDir: string) => join(distElectronDir, 'host.cjs');
