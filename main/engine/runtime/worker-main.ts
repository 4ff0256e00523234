// Worker-thread side of RuntimeWorker: one WorkerSessions per worker owns a SessionCache and the sessions it
// opened, and answers WorkerRequests.
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { SessionCache, type SessionCacheOptions } from './cache';
import type { EngineSession } from './session';
import type { TensorMap } from './tensors';
import type { OpenedSession, WorkerReply, WorkerRequest, WorkerResult } from './worker-protocol';

class WorkerSessions {
  private readonly cache: SessionCache;
  private readonly handles = new Map<number, EngineSession>();
  private readonly runs = new Map<number, AbortController>();
  private nextHandle = 1;

  constructor(
    private readonly port: MessagePort,
    options: SessionCacheOptions,
  ) {
    this.cache = new SessionCache(options);
    port.on('message', (message: WorkerRequest) => this.receive(message));
  }

  private receive(message: WorkerRequest): void {
    if (message.type === 'cancel') {
      this.runs.get(message.runId)?.abort();
      return;
    }
    this.handle(message).then(
      (value) =>
        this.reply(
          { id: message.id, ok: true, value },
          message.type === 'run' ? transferablesOf(value as TensorMap) : [],
        ),
      (err: unknown) => {
        const e = err instanceof Error ? err : new Error(String(err));
        this.reply({ id: message.id, ok: false, error: { name: e.name, message: e.message } }, []);
      },
    );
  }

  private async handle(message: Exclude<WorkerRequest, { type: 'cancel' }>): Promise<WorkerResult> {
    switch (message.type) {
      case 'open':
        return this.open(message.request, message.artifact);
      case 'run': {
        const controller = new AbortController();
        this.runs.set(message.id, controller);
        try {
          return await this.session(message.handle).run(message.feeds, {
            signal: controller.signal,
            outputs: message.outputs,
          });
        } finally {
          this.runs.delete(message.id);
        }
      }
      case 'report':
        return this.session(message.handle).report();
      case 'release': {
        const s = this.session(message.handle);
        this.handles.delete(message.handle);
        await s.release();
        return null;
      }
      case 'close':
        this.handles.clear();
        await this.cache.clear();
        return null;
    }
  }

  private async open(
    request: Parameters<SessionCache['get']>[0],
    artifact: Parameters<SessionCache['get']>[1] | undefined,
  ): Promise<OpenedSession | { missing: true }> {
    if (!artifact && !this.cache.has(request) && !(await this.cache.cachedModelPath(request)))
      return { missing: true };
    const s = await this.cache.get(
      request,
      artifact ?? (() => Promise.reject(new Error('the session cache lost the model'))),
    );
    const handle = this.nextHandle++;
    this.handles.set(handle, s);
    return { handle, inputs: s.inputs, outputs: s.outputs, report: s.report() };
  }

  private session(handle: number): EngineSession {
    const s = this.handles.get(handle);
    if (!s) throw new Error(`no open session with handle ${handle}`);
    return s;
  }

  private reply(message: WorkerReply, transfer: ArrayBuffer[]): void {
    try {
      this.port.postMessage(message, transfer);
    } catch {
      // Buffers ORT allocated outside the JS heap cannot be transferred; they are copied instead.
      this.port.postMessage(message);
    }
  }
}

function transferablesOf(outputs: TensorMap): ArrayBuffer[] {
  return [...new Set(Object.values(outputs).map((t) => t.data.buffer as ArrayBuffer))];
}

if (!parentPort) throw new Error('worker-main must run in a worker thread');
new WorkerSessions(parentPort, workerData as SessionCacheOptions);
