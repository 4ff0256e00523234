// Runs sessions on a worker thread so ORT's synchronous runs never block the caller's event loop (an
// Electron main process or the HTTP server stays responsive during a 30 s UNet run).
import { Worker } from 'node:worker_threads';
import type { ArtifactSource, SessionCacheOptions, SessionRequest } from './cache';
import { RunQueue } from './run-queue';
import type { RunOptions, RuntimeReport, ValueInfo } from './session';
import type { TensorMap } from './tensors';
import { workerModule } from './worker-module';
import type { OpenedSession, WorkerReply, WorkerRequest, WorkerResult } from './worker-protocol';

type Outgoing = WorkerRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

interface Pending {
  resolve: (value: WorkerResult) => void;
  reject: (err: Error) => void;
}

export interface WorkerRunOptions extends RunOptions {
  /** Hand the input buffers to the worker instead of copying them (they become unusable here). */
  transfer?: boolean;
}

export class RuntimeWorker {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private failure: Error | undefined;

  constructor(options: SessionCacheOptions = {}) {
    this.worker = new Worker(workerModule('runtime-worker', './worker-entry.mjs', import.meta.url), {
      workerData: options,
    });
    this.worker.on('message', (reply: WorkerReply) => this.settle(reply));
    this.worker.on('error', (err) => this.fail(err));
    this.worker.on('exit', (code) => this.fail(new Error(`the runtime worker exited (code ${code})`)));
  }

  /** Opens (or reuses) a session in the worker; the artifact is built and sent only if the worker's caches miss. */
  async open(request: SessionRequest, artifact: ArtifactSource): Promise<RemoteSession> {
    let opened = (await this.call({ type: 'open', request })) as OpenedSession | { missing: true };
    if ('missing' in opened) {
      const built = typeof artifact === 'function' ? await artifact() : artifact;
      opened = (await this.call({ type: 'open', request, artifact: built })) as OpenedSession;
    }
    return new RemoteSession(this, opened as OpenedSession);
  }

  /** Releases every session and stops the thread. */
  async close(): Promise<void> {
    if (!this.failure) await this.call({ type: 'close' });
    this.failure = new Error('the runtime worker was closed');
    await this.worker.terminate();
  }

  /** @internal */
  call(message: Outgoing, transfer: ArrayBuffer[] = [], onId?: (id: number) => void): Promise<WorkerResult> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    onId?.(id);
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...message, id }, transfer);
    });
  }

  /** @internal */
  cancel(runId: number): void {
    if (!this.failure) this.worker.postMessage({ type: 'cancel', runId } satisfies WorkerRequest);
  }

  private settle(reply: WorkerReply): void {
    const p = this.pending.get(reply.id);
    if (!p) return;
    this.pending.delete(reply.id);
    if (reply.ok) p.resolve(reply.value);
    else p.reject(rebuildError(reply.error));
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}

export class RemoteSession {
  readonly inputs: readonly ValueInfo[];
  readonly outputs: readonly ValueInfo[];
  private readonly handle: number;
  private readonly queue = new RunQueue();

  constructor(
    private readonly host: RuntimeWorker,
    opened: OpenedSession,
  ) {
    this.handle = opened.handle;
    this.inputs = opened.inputs;
    this.outputs = opened.outputs;
  }

  /**
   * Same contract as EngineSession.run. Runs of one RemoteSession are posted one at a time, so a queued run
   * is dropped here and never reaches the worker; aborting a posted run rejects at once and tells the
   * worker to drop or discard it.
   */
  run(feeds: TensorMap, options: WorkerRunOptions = {}): Promise<TensorMap> {
    let runId = 0;
    return this.queue.enqueue(
      async () => {
        const transfer = options.transfer
          ? [...new Set(Object.values(feeds).map((t) => t.data.buffer as ArrayBuffer))]
          : [];
        const message = { type: 'run', handle: this.handle, feeds, outputs: options.outputs } as const;
        return (await this.host.call(message, transfer, (id) => (runId = id))) as TensorMap;
      },
      options.signal,
      () => this.host.cancel(runId),
    );
  }

  async report(): Promise<RuntimeReport> {
    return (await this.host.call({ type: 'report', handle: this.handle })) as RuntimeReport;
  }

  async release(): Promise<void> {
    await this.host.call({ type: 'release', handle: this.handle });
  }
}

function rebuildError(error: { name: string; message: string }): Error {
  if (error.name === 'AbortError') return new DOMException(error.message, 'AbortError');
  const e = new Error(error.message);
  e.name = error.name;
  return e;
}
