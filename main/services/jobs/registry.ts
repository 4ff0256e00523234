// The job registry: every long-running piece of work (imports, scoring runs, generation, training) runs as a
// job so the UI can list it, show its progress and cancel it. Transports forward `onChange` as `job.progress`.
import { randomUUID } from 'node:crypto';

export const JOB_STATUSES = ['running', 'done', 'failed', 'cancelled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export interface JobState {
  id: string;
  kind: string;
  title: string;
  status: JobStatus;
  /** 0..1 */
  progress: number;
  message: string;
  error?: string;
  startedAt: number;
  finishedAt?: number;
}

export interface JobContext {
  readonly id: string;
  /** Aborted when the job is cancelled; long loops should check it or pass it on. */
  readonly signal: AbortSignal;
  /** Reports progress in 0..1 with an optional human-readable step. */
  progress(fraction: number, message?: string): void;
}

export interface JobSpec {
  kind: string;
  title: string;
}

export type JobListener = (job: JobState) => void;

/** Progress updates closer together than this are coalesced, so a tight loop cannot flood the transports. */
const PROGRESS_INTERVAL_MS = 100;

export class JobCancelledError extends Error {
  constructor() {
    super('job cancelled');
    this.name = 'JobCancelledError';
  }
}

interface JobEntry {
  state: JobState;
  controller: AbortController;
  lastEmit: number;
  /** The run's end, whatever its outcome (shutdown waits on it). */
  settled: Promise<unknown>;
}

export class JobRegistry {
  private readonly jobs = new Map<string, JobEntry>();
  private readonly listeners = new Set<JobListener>();

  constructor(private readonly keepFinished = 50) {}

  onChange(listener: JobListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Starts `run` now; `done` settles with its result (rejects with JobCancelledError after cancel). */
  start<T>(spec: JobSpec, run: (ctx: JobContext) => Promise<T>): { id: string; done: Promise<T> } {
    const id = randomUUID();
    const controller = new AbortController();
    const state: JobState = {
      ...spec,
      id,
      status: 'running',
      progress: 0,
      message: '',
      startedAt: Date.now(),
    };
    const entry: JobEntry = { state, controller, lastEmit: 0, settled: Promise.resolve() };
    this.jobs.set(id, entry);
    this.emit(entry, true);

    const ctx: JobContext = {
      id,
      signal: controller.signal,
      progress: (fraction, message) => {
        if (state.status !== 'running') return;
        state.progress = Math.min(1, Math.max(0, fraction));
        if (message !== undefined) state.message = message;
        this.emit(entry, false);
      },
    };
    const done = (async () => {
      try {
        const result = await run(ctx);
        if (controller.signal.aborted) throw new JobCancelledError();
        this.finish(entry, { status: 'done', progress: 1 });
        return result;
      } catch (err) {
        if (controller.signal.aborted) {
          this.finish(entry, { status: 'cancelled' });
          throw new JobCancelledError();
        }
        this.finish(entry, { status: 'failed', error: err instanceof Error ? err.message : String(err) });
        throw err;
      }
    })();
    // A caller that only watches progress events must not cause an unhandled rejection.
    entry.settled = done.catch(() => {});
    return { id, done };
  }

  list(): JobState[] {
    // Newest first: the map keeps insertion (start) order.
    return [...this.jobs.values()].map((j) => ({ ...j.state })).reverse();
  }

  get(id: string): JobState | undefined {
    const entry = this.jobs.get(id);
    return entry && { ...entry.state };
  }

  /** Returns false when there is no such running job. */
  cancel(id: string): boolean {
    const entry = this.jobs.get(id);
    if (!entry || entry.state.status !== 'running') return false;
    entry.controller.abort(new JobCancelledError());
    return true;
  }

  /** Shutdown: cancels every running job and waits until each has stopped. */
  async cancelAll(): Promise<void> {
    const running = [...this.jobs.values()].filter((entry) => entry.state.status === 'running');
    for (const entry of running) entry.controller.abort(new JobCancelledError());
    await Promise.all(running.map((entry) => entry.settled));
  }

  private finish(entry: { state: JobState; lastEmit: number }, patch: Partial<JobState>): void {
    Object.assign(entry.state, patch, { finishedAt: Date.now() });
    this.emit(entry, true);
    this.prune();
  }

  private emit(entry: { state: JobState; lastEmit: number }, force: boolean): void {
    const now = Date.now();
    if (!force && now - entry.lastEmit < PROGRESS_INTERVAL_MS) return;
    entry.lastEmit = now;
    const snapshot = { ...entry.state };
    for (const listener of this.listeners) listener(snapshot);
  }

  private prune(): void {
    const finished = [...this.jobs.values()].filter((j) => j.state.status !== 'running');
    for (const j of finished.slice(0, Math.max(0, finished.length - this.keepFinished)))
      this.jobs.delete(j.state.id);
  }
}
