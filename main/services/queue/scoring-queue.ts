// The server's side of distributed library scoring: it queues a run's chunks on Redis (BullMQ), follows them
// to the end through the queue's events, and can cancel the run. Workers (scoring-worker.ts) do the scoring.
import { randomUUID } from 'node:crypto';
import type { Job } from 'bullmq';
import { DEFAULT_QUEUE_PREFIX, openQueue } from './connection';
import type { ChunkResult, ScoreChunk } from './scoring-chunks';

export const SCORING_QUEUE = 'score-library';
/** Tries per chunk: a worker killed mid-chunk costs one (the chunk goes back to the queue, see the worker). */
export const CHUNK_ATTEMPTS = 5;
/** How often the run checks its chunks' states itself, in case a queue event was missed (e.g. a reconnect). */
const RECONCILE_MS = 2_000;

export interface RunProgress {
  chunksDone: number;
  chunks: number;
  /** The chunk that just finished, or null for a check that found nothing new. */
  result: ChunkResult | null;
}

export interface RunOutcome {
  scored: number;
  failed: ChunkResult['failed'];
}

export function cancelKey(prefix: string, runId: string): string {
  return `${prefix}:cancelled:${runId}`;
}

export class ScoringQueue {
  private readonly handles: ReturnType<typeof openQueue>;

  constructor(
    url: string,
    private readonly prefix = DEFAULT_QUEUE_PREFIX,
    onError: (message: string) => void = () => {},
  ) {
    this.handles = openQueue(SCORING_QUEUE, url, prefix, onError);
  }

  private get queue() {
    return this.handles.queue;
  }

  private get events() {
    return this.handles.events;
  }

  ready(): Promise<void> {
    return this.handles.ready();
  }

  /**
   * Queues the chunks and resolves when each has finished (scored, or failed after every attempt). Aborting
   * `signal` cancels the run: waiting chunks are removed and workers stop the running ones between batches.
   */
  async run(
    chunks: Omit<ScoreChunk, 'runId'>[],
    options: { signal?: AbortSignal; onProgress?: (progress: RunProgress) => void } = {},
  ): Promise<RunOutcome> {
    const runId = randomUUID();
    const ids = chunks.map((_, index) => `${runId}-${index}`);
    const pending = new Set(ids);
    const outcome: RunOutcome = { scored: 0, failed: [] };
    const chunkErrors: string[] = [];
    let settle!: () => void;
    const finished = new Promise<void>((resolve) => (settle = resolve));
    const finish = (id: string, result: ChunkResult | null, error?: string) => {
      if (!pending.delete(id)) return;
      if (result) {
        outcome.scored += result.scores.length;
        outcome.failed.push(...result.failed);
      }
      if (error) chunkErrors.push(error);
      options.onProgress?.({ chunksDone: ids.length - pending.size, chunks: ids.length, result });
      if (pending.size === 0) settle();
    };
    const onCompleted = ({ jobId, returnvalue }: { jobId: string; returnvalue: unknown }) =>
      finish(jobId, parseResult(returnvalue));
    const onFailed = async ({ jobId, failedReason }: { jobId: string; failedReason: string }) => {
      const job = pending.has(jobId) ? await this.queue.getJob(jobId) : undefined;
      if (job && job.attemptsMade >= CHUNK_ATTEMPTS) finish(jobId, null, failedReason);
    };
    this.events.on('completed', onCompleted);
    this.events.on('failed', onFailed);
    const reconcile = setInterval(() => void this.reconcile(pending, finish), RECONCILE_MS);
    const cancel = () => void this.cancel(runId, ids).then(settle);
    options.signal?.addEventListener('abort', cancel, { once: true });
    try {
      await this.queue.addBulk(
        chunks.map((chunk, index) => ({
          name: 'chunk',
          data: { ...chunk, runId } satisfies ScoreChunk,
          opts: {
            jobId: ids[index],
            attempts: CHUNK_ATTEMPTS,
            backoff: { type: 'exponential', delay: 500 },
            removeOnComplete: { age: 3600 },
            removeOnFail: { age: 24 * 3600 },
          },
        })),
      );
      if (ids.length === 0) settle();
      await finished;
      options.signal?.throwIfAborted();
      if (chunkErrors.length > 0)
        throw new Error(`${chunkErrors.length} of ${ids.length} chunks failed: ${chunkErrors[0]}`);
      return outcome;
    } finally {
      clearInterval(reconcile);
      options.signal?.removeEventListener('abort', cancel);
      this.events.off('completed', onCompleted);
      this.events.off('failed', onFailed);
    }
  }

  close(): Promise<void> {
    return this.handles.close();
  }

  /** Marks the run cancelled for the workers (an hour is far longer than any chunk) and drops its waiting chunks. */
  private async cancel(runId: string, ids: readonly string[]): Promise<void> {
    await this.handles.connection.set(cancelKey(this.prefix, runId), '1', 'EX', 3600);
    for (const id of ids) await this.queue.remove(id).catch(() => 0);
  }

  private async reconcile(
    pending: ReadonlySet<string>,
    finish: (id: string, result: ChunkResult | null, error?: string) => void,
  ): Promise<void> {
    for (const id of [...pending]) {
      const job: Job | undefined = await this.queue.getJob(id).catch(() => undefined);
      if (!job) continue;
      if (job.finishedOn && job.returnvalue) finish(id, parseResult(job.returnvalue));
      else if (job.finishedOn && job.failedReason && job.attemptsMade >= CHUNK_ATTEMPTS)
        finish(id, null, job.failedReason);
    }
  }
}

function parseResult(value: unknown): ChunkResult {
  return (typeof value === 'string' ? JSON.parse(value) : value) as ChunkResult;
}
