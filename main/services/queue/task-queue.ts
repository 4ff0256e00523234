// Long tasks (generation batches, LoRA and scorer training) on the Redis queue: the server sends a task by its
// module and function name with its input, and a worker host runs the same task function, streaming the task's
// events back as BullMQ progress and taking cancel and commands (pause, resume) over Redis pub/sub. A host
// that dies mid-task loses its lock; the task then runs again on another host (a LoRA run resumes from its last
// checkpoint in the shared library folder).
import { randomUUID } from 'node:crypto';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { DEFAULT_QUEUE_PREFIX, openQueue, redisConnection } from './connection';

export const TASK_QUEUE = 'tasks';
/** Runs of one task: a host killed mid-task costs one. */
export const TASK_ATTEMPTS = 3;
const CANCELLED = 'the task was cancelled';

export interface QueuedTask {
  module: string;
  exportName: string;
  input: unknown;
}

export interface TaskControl {
  type: 'abort' | 'command';
  command?: unknown;
}

const controlChannel = (prefix: string, jobId: string) => `${prefix}:task-control:${jobId}`;
const cancelledKey = (prefix: string, jobId: string) => `${prefix}:task-cancelled:${jobId}`;

interface Pending {
  onEvent(event: unknown): void;
  resolve(result: unknown): void;
  reject(error: Error): void;
}

/** The server's side: sends tasks and follows them. */
export class RemoteTaskQueue {
  private readonly handles: ReturnType<typeof openQueue>;
  private readonly pending = new Map<string, Pending>();

  constructor(
    url: string,
    private readonly prefix = DEFAULT_QUEUE_PREFIX,
    onError: (message: string) => void = () => {},
  ) {
    this.handles = openQueue(TASK_QUEUE, url, prefix, onError);
    this.events.on('progress', ({ jobId, data }) =>
      this.pending.get(jobId)?.onEvent((data as { event: unknown }).event),
    );
    this.events.on('completed', ({ jobId, returnvalue }) =>
      this.pending
        .get(jobId)
        ?.resolve(typeof returnvalue === 'string' ? JSON.parse(returnvalue) : returnvalue),
    );
    this.events.on('failed', ({ jobId, failedReason }) => void this.onFailed(jobId, failedReason));
  }

  private get queue() {
    return this.handles.queue;
  }

  private get events() {
    return this.handles.events;
  }

  private get connection() {
    return this.handles.connection;
  }

  ready(): Promise<void> {
    return this.handles.ready();
  }

  /** Queues the task; `signal` aborting cancels it wherever it is (waiting: removed; running: aborted). */
  run(
    task: QueuedTask,
    signal: AbortSignal,
    onEvent: (event: unknown) => void,
  ): { done: Promise<unknown>; command(command: unknown): void } {
    const jobId = randomUUID();
    const onAbort = () => void this.cancel(jobId);
    const done = new Promise<unknown>((resolve, reject) => {
      this.pending.set(jobId, { onEvent, resolve, reject });
      this.queue
        .add('task', task, {
          jobId,
          attempts: TASK_ATTEMPTS,
          removeOnComplete: { age: 3600 },
          removeOnFail: { age: 86_400 },
        })
        .catch(reject);
    }).finally(() => {
      this.pending.delete(jobId);
      signal.removeEventListener('abort', onAbort);
    });
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    const command = (payload: unknown) =>
      void this.connection.publish(
        controlChannel(this.prefix, jobId),
        JSON.stringify({ type: 'command', command: payload }),
      );
    return { done, command };
  }

  close(): Promise<void> {
    return this.handles.close();
  }

  private async cancel(jobId: string): Promise<void> {
    await this.connection.set(cancelledKey(this.prefix, jobId), '1', 'EX', 86_400);
    await this.connection.publish(controlChannel(this.prefix, jobId), JSON.stringify({ type: 'abort' }));
    // Still waiting: no host will take it now.
    const removed = await this.queue.remove(jobId).catch(() => 0);
    if (removed) this.pending.get(jobId)?.reject(new Error(CANCELLED));
  }

  /** A failure that will be retried (a host died, the lock expired) is not the end of the task. */
  private async onFailed(jobId: string, reason: string): Promise<void> {
    const pending = this.pending.get(jobId);
    if (!pending) return;
    const job = await this.queue.getJob(jobId).catch(() => undefined);
    if (reason === CANCELLED || !job || job.attemptsMade >= TASK_ATTEMPTS) pending.reject(new Error(reason));
  }
}

export interface TaskHostChannel {
  signal: AbortSignal;
  emit(event: unknown): void;
  onCommand(listener: (command: unknown) => void): void;
}

/** A worker host's side: takes tasks and runs them with `execute` (the studio's own task functions). */
export class TaskQueueHost {
  private readonly worker: Worker<QueuedTask>;
  private readonly connection: Redis;
  private readonly subscriber: Redis;
  private readonly workerConnection: Redis;
  private readonly running = new Map<
    string,
    { abort: AbortController; listeners: Set<(c: unknown) => void> }
  >();

  constructor(
    url: string,
    execute: (task: QueuedTask, channel: TaskHostChannel) => Promise<unknown>,
    options: { prefix?: string; lockDurationMs?: number; log?: (message: string) => void } = {},
  ) {
    const prefix = options.prefix ?? DEFAULT_QUEUE_PREFIX;
    const log = options.log ?? (() => {});
    const lockDuration = options.lockDurationMs ?? 30_000;
    this.connection = redisConnection(url, log);
    this.subscriber = redisConnection(url, log);
    this.subscriber.on('message', (channel: string, message: string) => this.onControl(channel, message));
    this.workerConnection = redisConnection(url, log);
    this.worker = new Worker<QueuedTask>(TASK_QUEUE, (job) => this.process(job, prefix, execute), {
      connection: this.workerConnection,
      prefix,
      concurrency: 1,
      lockDuration,
      stalledInterval: Math.max(1_000, Math.floor(lockDuration / 2)),
      maxStalledCount: TASK_ATTEMPTS,
    });
    this.worker.on('error', (error) => log(`task queue error: ${error.message}`));
    this.worker.on('active', (job) =>
      log(`task ${job.id} started (${job.data.module}.${job.data.exportName})`),
    );
    this.worker.on('completed', (job) => log(`task ${job.id} done`));
    this.worker.on('failed', (job, error) => log(`task ${job?.id ?? '?'} failed: ${error.message}`));
  }

  async ready(): Promise<void> {
    await this.worker.waitUntilReady();
  }

  async close(): Promise<void> {
    for (const { abort } of this.running.values()) abort.abort(new Error(CANCELLED));
    await this.worker.close();
    // BullMQ leaves connections it was given open, and an open one keeps the process alive.
    this.connection.disconnect();
    this.subscriber.disconnect();
    this.workerConnection.disconnect();
  }

  private async process(
    job: Job<QueuedTask>,
    prefix: string,
    execute: (task: QueuedTask, channel: TaskHostChannel) => Promise<unknown>,
  ): Promise<unknown> {
    const jobId = job.id!;
    const entry = { abort: new AbortController(), listeners: new Set<(c: unknown) => void>() };
    this.running.set(controlChannel(prefix, jobId), entry);
    await this.subscriber.subscribe(controlChannel(prefix, jobId));
    try {
      // Cancelled before the subscription: the key says so.
      if (await this.connection.exists(cancelledKey(prefix, jobId))) throw new UnrecoverableError(CANCELLED);
      const result = await execute(job.data, {
        signal: entry.abort.signal,
        emit: (event) => void job.updateProgress({ event } as object).catch(() => {}),
        onCommand: (listener) => entry.listeners.add(listener),
      });
      if (entry.abort.signal.aborted) throw new UnrecoverableError(CANCELLED);
      return result;
    } catch (error) {
      if (entry.abort.signal.aborted) throw new UnrecoverableError(CANCELLED);
      throw error;
    } finally {
      this.running.delete(controlChannel(prefix, jobId));
      await this.subscriber.unsubscribe(controlChannel(prefix, jobId)).catch(() => {});
    }
  }

  private onControl(channel: string, message: string): void {
    const entry = this.running.get(channel);
    if (!entry) return;
    const control = JSON.parse(message) as TaskControl;
    if (control.type === 'abort') entry.abort.abort(new Error(CANCELLED));
    else for (const listener of entry.listeners) listener(control.command);
  }
}
