// A FIFO of asynchronous jobs run one at a time, where an AbortSignal rejects a job at once: a queued job
// is dropped, a running one is abandoned (its result discarded; `onAbortRunning` may pass the cancel on).

interface Job {
  start: () => void;
  reject: (err: unknown) => void;
  settled: () => boolean;
}

export function abortError(signal?: AbortSignal): Error {
  const reason: unknown = signal?.reason;
  if (reason instanceof Error && reason.name === 'AbortError') return reason;
  return new DOMException('The run was cancelled', 'AbortError');
}

export class RunQueue {
  private readonly jobs: Job[] = [];
  private running = false;

  get busy(): boolean {
    return this.running;
  }

  enqueue<T>(work: () => Promise<T>, signal?: AbortSignal, onAbortRunning?: () => void): Promise<T> {
    if (signal?.aborted) return Promise.reject(abortError(signal));
    return new Promise<T>((resolve, reject) => {
      let done = false;
      let started = false;
      const settle = (fn: () => void) => {
        if (done) return;
        done = true;
        signal?.removeEventListener('abort', onAbort);
        fn();
      };
      const job: Job = {
        start: () => {
          started = true;
          work()
            .then(
              (value) => settle(() => resolve(value)),
              (err) => settle(() => reject(err)),
            )
            .finally(() => {
              this.running = false;
              this.pump();
            });
        },
        reject: (err) => settle(() => reject(err)),
        settled: () => done,
      };
      const onAbort = () => {
        const i = this.jobs.indexOf(job);
        if (i >= 0) this.jobs.splice(i, 1);
        else if (started) onAbortRunning?.();
        settle(() => reject(abortError(signal)));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.jobs.push(job);
      this.pump();
    });
  }

  /** Rejects every job still waiting. */
  rejectQueued(err: Error): void {
    for (const job of this.jobs.splice(0)) job.reject(err);
  }

  private pump(): void {
    if (this.running) return;
    const job = this.jobs.shift();
    if (!job) return;
    this.running = true;
    // Start on a later turn of the event loop, so that cancellations which arrived meanwhile (in a worker:
    // cancel messages queued while ORT blocked the thread) are seen before the job starts.
    setImmediate(() => {
      if (job.settled()) {
        this.running = false;
        this.pump();
      } else {
        job.start();
      }
    });
  }
}
