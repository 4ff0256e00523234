// A scoring worker: one per GPU host (`hps-studio worker`). It takes chunks off the queue, scores them with the
// same engine as the studio, and writes the scores into the shared library database in one transaction per
// chunk. Scores are keyed by (model, image, prompt), so a chunk done again after a crash rewrites the same rows:
// nothing is counted twice. A worker killed mid-chunk holds the chunk's lock until it expires; then another
// worker's stalled check puts the chunk back on the queue (BullMQ), where the next free worker takes it.
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { ExecutionProvider } from '../../engine/runtime';
import type { Library } from '../library';
import { createScorer, EmbeddingCache, isScoreError, type Scorer } from '../scoring';
import { storeScores } from '../scoring/jobs';
import { DEFAULT_QUEUE_PREFIX, redisConnection } from './connection';
import { CHUNK_ATTEMPTS, SCORING_QUEUE, cancelKey } from './scoring-queue';
import type { ChunkResult, ScoreChunk, ScorerSpec } from './scoring-chunks';

/** Models a worker keeps loaded at once (a run's chunks reuse its model; a new model evicts the oldest). */
const LOADED_SCORERS = 2;

export interface ScoringWorkerOptions {
  queueUrl: string;
  library: Library;
  ep?: ExecutionProvider;
  /** Chunks scored at once (default 1: one chunk already keeps a GPU busy). */
  concurrency?: number;
  prefix?: string;
  /** How long a chunk stays locked to a worker that stopped answering (default 30 s). */
  lockDurationMs?: number;
  /** Images per inference batch inside a chunk (default 8). */
  batchSize?: number;
  log?: (message: string) => void;
}

export class ScoringWorker {
  /** The scorers this worker has loaded, by spec; a run's chunks reuse its model. */
  private readonly scorers = new Map<string, Promise<Scorer>>();
  private readonly worker: Worker<ScoreChunk, ChunkResult>;
  private readonly connection: Redis;
  private readonly workerConnection: Redis;

  constructor(private readonly options: ScoringWorkerOptions) {
    const log = options.log ?? (() => {});
    const prefix = options.prefix ?? DEFAULT_QUEUE_PREFIX;
    const lockDuration = options.lockDurationMs ?? 30_000;
    this.connection = redisConnection(options.queueUrl, log);
    this.workerConnection = redisConnection(options.queueUrl, log);
    this.worker = new Worker<ScoreChunk, ChunkResult>(SCORING_QUEUE, (job) => this.process(job, prefix), {
      connection: this.workerConnection,
      prefix,
      concurrency: options.concurrency ?? 1,
      lockDuration,
      stalledInterval: Math.max(1_000, Math.floor(lockDuration / 2)),
      maxStalledCount: CHUNK_ATTEMPTS,
    });
    this.worker.on('error', (error) => log(`queue error: ${error.message}`));
    this.worker.on('active', (job) => log(`chunk ${job.id} started (${job.data.images.length} images)`));
    this.worker.on('completed', (job, result) =>
      log(`chunk ${job.id}: ${result.scores.length} scored, ${result.failed.length} unreadable`),
    );
    this.worker.on('failed', (job, error) => log(`chunk ${job?.id ?? '?'} failed: ${error.message}`));
  }

  async ready(): Promise<void> {
    await this.worker.waitUntilReady();
  }

  /** Finishes the chunks in hand, then stops taking new ones and frees the models. */
  async close(): Promise<void> {
    await this.worker.close();
    // BullMQ leaves a connection it was given open, and an open one keeps the process alive.
    this.connection.disconnect();
    this.workerConnection.disconnect();
    for (const scorer of this.scorers.values()) await (await scorer.catch(() => null))?.close();
    this.scorers.clear();
  }

  private async process(job: Job<ScoreChunk, ChunkResult>, prefix: string): Promise<ChunkResult> {
    const chunk = job.data;
    const cancelled = () => this.connection.exists(cancelKey(prefix, chunk.runId)).then((n) => n > 0);
    if (await cancelled()) throw new UnrecoverableError('the scoring run was cancelled');
    const scorer = await this.scorer(chunk.scorer);
    const library = this.options.library;
    const batchSize = this.options.batchSize ?? 8;
    const result: ChunkResult = { scores: [], failed: [] };
    for (let start = 0; start < chunk.images.length; start += batchSize) {
      if (start > 0 && (await cancelled())) throw new UnrecoverableError('the scoring run was cancelled');
      const batch = chunk.images.slice(start, start + batchSize);
      const rows = await scorer.score(
        batch.map((image) => library.imagePath(image)),
        [chunk.prompt],
        { batchSize },
      );
      rows.forEach((row, i) => {
        const imageId = batch[i]!.id;
        if (isScoreError(row)) result.failed.push({ imageId, error: row.error });
        else
          result.scores.push({
            imageId,
            promptId: chunk.promptId,
            score: row.score,
            cosine: row.cosine ?? null,
          });
      });
      await job.updateProgress(Math.min(1, (start + batch.length) / chunk.images.length));
    }
    // One transaction per chunk: its scores land together or, if the worker dies first, not at all.
    const modelId = chunk.scorer.modelId;
    const scores = result.scores.map((score) => ({ modelId, ...score }));
    await storeScores(library, modelId, scores, result.failed);
    return result;
  }

  private scorer(spec: ScorerSpec): Promise<Scorer> {
    const key = JSON.stringify(spec);
    let scorer = this.scorers.get(key);
    if (!scorer) {
      this.evictBeyond(LOADED_SCORERS - 1);
      scorer = createScorer({ ...spec, ep: this.options.ep, cache: new EmbeddingCache() });
      scorer.catch(() => this.scorers.delete(key));
      this.scorers.set(key, scorer);
    }
    return scorer;
  }

  /** A host serves run after run: only the most recently loaded models stay in (GPU) memory. */
  private evictBeyond(keep: number): void {
    for (const [key, scorer] of [...this.scorers].slice(0, Math.max(0, this.scorers.size - keep))) {
      this.scorers.delete(key);
      void scorer.then((loaded) => loaded.close()).catch(() => {});
    }
  }
}
