// A long-lived worker thread that runs requests of one task module off the API's thread, with a two-way
// channel: the task emits events (previews, losses) and receives commands (pause, resume); cancel aborts the
// task's signal so it can stop cleanly (a training run saves a checkpoint) instead of being killed.
// A task module exports its tasks as ChannelTask functions, named by TaskWorker's exportName; one that
// keeps state between requests (warm pipelines) exports `createTasks()` instead, which each worker calls
// once and whose returned object holds the tasks by name: that state lives per worker, not in the module.
import { Worker } from 'node:worker_threads';
import { workerModule } from '../../engine/runtime/worker-module';
import { JobCancelledError, type JobContext } from '../../services/jobs';

/** What a task module's export receives besides its input. */
export interface TaskChannel<E = unknown, C = unknown> {
  signal: AbortSignal;
  emit(event: E): void;
  onCommand(listener: (command: C) => void): void;
}

export type ChannelTask<I, O, E = unknown, C = unknown> = (
  input: I,
  channel: TaskChannel<E, C>,
) => Promise<O>;

type Reply =
  | { type: 'event'; id: number; data: unknown }
  | { type: 'done'; id: number; result: unknown }
  | { type: 'error'; id: number; message: string; aborted: boolean };

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  onEvent(data: unknown): void;
}

export { workerModule };

/** Runs a task module's requests somewhere: a worker thread (TaskWorker) or a queue worker host. */
export interface TaskRunner {
  run<O, E = unknown>(
    input: unknown,
    job: JobContext,
    onEvent: (event: E) => void,
  ): { done: Promise<O>; command(command: unknown): void };
  close(): Promise<void>;
}

const ENTRY = workerModule('task-worker', './task-entry.mjs', import.meta.url);

export class TaskWorker implements TaskRunner {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  constructor(
    private readonly module: URL,
    private readonly exportName: string,
  ) {}

  /**
   * Runs one request; `job.signal` aborting cancels it (rejecting with JobCancelledError once the task has
   * stopped). `onEvent` gets everything the task emits. Returns the task's result.
   */
  run<O, E = unknown>(
    input: unknown,
    job: JobContext,
    onEvent: (event: E) => void,
  ): { done: Promise<O>; command(command: unknown): void } {
    const worker = this.start();
    const id = this.nextId++;
    const onAbort = () => worker.postMessage({ type: 'abort', id });
    const done = new Promise<O>((resolve, reject) => {
      this.pending.set(id, {
        resolve: (value) => resolve(value as O),
        reject,
        onEvent: (data) => onEvent(data as E),
      });
      worker.postMessage({ type: 'run', id, input });
    }).finally(() => job.signal.removeEventListener('abort', onAbort));
    if (job.signal.aborted) onAbort();
    else job.signal.addEventListener('abort', onAbort, { once: true });
    return { done, command: (command) => worker.postMessage({ type: 'command', id, command }) };
  }

  get busy(): boolean {
    return this.pending.size > 0;
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(ENTRY, {
      workerData: { moduleUrl: this.module.href, exportName: this.exportName },
    });
    // An idle worker must not keep the process (a CLI, a test run) alive.
    worker.unref();
    worker.on('message', (reply: Reply) => this.settle(reply));
    const fail = (error: Error) => {
      if (this.worker === worker) this.worker = undefined;
      for (const p of this.pending.values()) p.reject(error);
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the task worker exited (code ${code})`)));
    this.worker = worker;
    return worker;
  }

  private settle(reply: Reply): void {
    const pending = this.pending.get(reply.id);
    if (!pending) return;
    if (reply.type === 'event') return pending.onEvent(reply.data);
    this.pending.delete(reply.id);
    if (reply.type === 'done') pending.resolve(reply.result);
    else pending.reject(reply.aborted ? new JobCancelledError() : new Error(reply.message));
  }
}
