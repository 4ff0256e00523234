// Distributed library scoring in one process, on the real servers the run started (tests/support): the server's
// ScoringQueue cuts the library into chunks and two ScoringWorkers, each with its own connection to the shared
// PostgreSQL library, score them. Every pair ends scored exactly once with the score the scorer gives locally,
// both workers take part, and a cancelled run leaves nothing queued.
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Queue } from 'bullmq';
import { Library } from '../../main/services/library';
import { redisConnection } from '../../main/services/queue/connection';
import { scoringChunks, type ScorerSpec } from '../../main/services/queue/scoring-chunks';
import { SCORING_QUEUE, ScoringQueue } from '../../main/services/queue/scoring-queue';
import { ScoringWorker } from '../../main/services/queue/scoring-worker';
import { createScorer, EmbeddingCache, isScoreError } from '../../main/services/scoring';
import { createDatabase } from '../support/servers';
import { IMAGES, PROMPTS, VOCAB, fixture } from '../models/clip-fixtures';

const SPEC: ScorerSpec = {
  modelId: 'hps_v1_tiny',
  kind: 'hps-v1',
  model: fixture('hps_v1_tiny.pt'),
  vocab: VOCAB,
};

let dir: string;
let databaseUrl: string;
let server: Library;
const prefix = `hps-test-${randomBytes(4).toString('hex')}`;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'hps-queue-'));
  databaseUrl = await createDatabase(inject('postgresAdminUrl'));
  server = await Library.open(dir, { databaseUrl });
  const ids: number[] = [];
  for (const image of IMAGES) ids.push((await server.addImage(await readFile(image))).image.id);
  // Three prompts over every image: 3 × |IMAGES| pairs, several chunks per prompt at chunk size 2.
  for (const prompt of PROMPTS.slice(0, 3)) await server.addComparison({ prompt, imageIds: ids });
}, 60_000);

afterAll(async () => {
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

function startWorkers(n: number, log: string[]) {
  return Promise.all(
    Array.from({ length: n }, async (_, index) => {
      const library = await Library.open(dir, { databaseUrl });
      const worker = new ScoringWorker({
        queueUrl: inject('redisUrl'),
        library,
        prefix,
        log: (message) => log.push(`worker ${index}: ${message}`),
      });
      await worker.ready();
      return { close: () => worker.close().then(() => library.close()) };
    }),
  );
}

describe('distributed library scoring', () => {
  it('two workers score every pair once, with the scores the scorer gives locally', async () => {
    const log: string[] = [];
    const workers = await startWorkers(2, log);
    const queue = new ScoringQueue(inject('redisUrl'), prefix);
    try {
      await queue.ready();
      const chunks = await scoringChunks(server, SPEC, { chunkSize: 2 });
      const pairs = chunks.reduce((sum, chunk) => sum + chunk.images.length, 0);
      expect(pairs).toBe(3 * IMAGES.length);
      const progress: number[] = [];
      const outcome = await queue.run(chunks, { onProgress: (p) => progress.push(p.chunksDone) });
      expect(outcome.scored + outcome.failed.length).toBe(pairs);
      expect(progress.at(-1)).toBe(chunks.length);

      const stored = await server.scores.list({ modelId: SPEC.modelId });
      expect(stored.length).toBe(outcome.scored);
      expect(new Set(stored.map((s) => `${s.imageId}:${s.promptId}`)).size).toBe(stored.length);
      // Both workers took chunks.
      for (const index of [0, 1])
        expect(
          log.filter((line) => line.startsWith(`worker ${index}:`) && line.includes('scored')).length,
        ).toBeGreaterThan(0);

      // The same scores as scoring the files here.
      const local = await createScorer({ ...SPEC, cache: new EmbeddingCache() });
      try {
        const images = await server.listImages();
        const prompts = await server.listPrompts();
        for (const prompt of prompts) {
          const rows = await local.score(
            images.map((image) => server.imagePath(image)),
            [prompt.text],
          );
          rows.forEach((row, i) => {
            if (isScoreError(row)) return;
            const score = stored.find((s) => s.imageId === images[i]!.id && s.promptId === prompt.id);
            expect(score?.score).toBeCloseTo(row.score, 5);
          });
        }
      } finally {
        await local.close();
      }
      // Nothing left to do: a second run finds no chunks.
      expect(await scoringChunks(server, SPEC, { chunkSize: 2 })).toEqual([]);
    } finally {
      await queue.close();
      for (const worker of workers) await worker.close();
    }
  });

  it('a cancelled run rejects and leaves none of its chunks waiting', async () => {
    const queue = new ScoringQueue(inject('redisUrl'), `${prefix}-cancel`);
    const inspect = new Queue(SCORING_QUEUE, {
      connection: redisConnection(inject('redisUrl')),
      prefix: `${prefix}-cancel`,
    });
    try {
      await queue.ready();
      const spec = { ...SPEC, modelId: 'cancelled-model' };
      const chunks = await scoringChunks(server, spec, { chunkSize: 1 });
      const abort = new AbortController();
      // No worker listens on this prefix: every chunk is still waiting when the run is cancelled.
      const run = queue.run(chunks, { signal: abort.signal });
      await expect.poll(() => inspect.getWaitingCount()).toBe(chunks.length);
      abort.abort();
      await expect(run).rejects.toThrow();
      expect(await inspect.getWaitingCount()).toBe(0);
    } finally {
      await inspect.close();
      await queue.close();
    }
  });
});
