// Team server bench (issue "PostgreSQL library backend + Redis job queue"): 50 simulated annotators labelling
// over HTTP against one `serve`-style server on SQLite and on PostgreSQL; library scoring on the Redis queue with
// 1, 2 and 4 `hps-studio worker` processes; and a projection of 1 M images on N GPU hosts from the measured
// per-image costs. The PostgreSQL and Redis servers are throwaway processes on loopback (tests/support/servers),
// PostgreSQL with fsync on, as a production server runs.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import sharp from 'sharp';
import { createApi, createApp, teamAuthenticator, type App } from '../main/api';
import { RENDERER_DIR } from '../main/cli/serve/renderer-build';
import { startServer } from '../main/server';
import { Library } from '../main/services/library';
import { scoringChunks, type ScoreChunk, type ScorerSpec } from '../main/services/queue/scoring-chunks';
import { ScoringQueue } from '../main/services/queue/scoring-queue';
import { VOCAB, fixture } from '../tests/models/clip-fixtures';
import { createDatabase, startPostgres, startRedis } from '../tests/support/servers';
import type { BenchContext, BenchSuite, BenchTable } from './harness';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * ASSUMED, not measured: how many times this 2-core CPU box's end-to-end images/s one GPU host scores. The
 * projection's GPU columns scale with it; set HPS_BENCH_GPU_SPEEDUP to try another value.
 */
const GPU_HOST_SPEEDUP = Number(process.env.HPS_BENCH_GPU_SPEEDUP ?? 100);

/** End-to-end images/s of the real towers on this 2-core box (bench/score/RESULTS.md, 2026-12-06, "After",
 *  batch 8, fp32 cpu): measured there, taken here as given. */
const CPU_IMAGES_PER_S = { 'ViT-L/14': 1.94, 'ViT-H/14': 0.96 } as const;

export const suite: BenchSuite = {
  name: 'team',
  description:
    'team server: 50 annotators over HTTP (SQLite vs PostgreSQL), queue scoring with 1/2/4 worker processes, 1 M image projection',
  run: async (ctx) => {
    const cleanup = new Cleanup();
    // Ctrl-C mid-run: stop the servers and workers and remove the temp folders before going.
    const onSignal = () => void cleanup.run().finally(() => process.exit(130));
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      const root = await mkdtemp(path.join(os.tmpdir(), 'hps-bench-team-'));
      cleanup.add(() => rm(root, { recursive: true, force: true }));
      ctx.log('team: starting PostgreSQL (fsync on) and Redis');
      const postgres = await startPostgres({ fsync: true });
      cleanup.add(() => postgres.stop());
      const redis = await startRedis();
      cleanup.add(() => redis.stop());

      const labeling = await labelingTable(ctx, root, postgres.url);
      const scoring = await scoringTable(ctx, root, postgres.url, redis.url, cleanup);
      return [labeling, scoring.table, projectionTable(scoring)];
    } finally {
      await cleanup.run();
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  },
};

// ---------------------------------------------------------------------------------------------------------------
// 1. 50 annotators on one server

const ANNOTATORS = 50;
/** Each comparison wants this many judgments, so 50 annotators share the items as a real team does. */
const OVERLAP = 3;

interface LoadResult {
  judgments: number;
  seconds: number;
  submitMs: number[];
  nextMs: number[];
  /** Annotators who found no item left before the time was up (the library was too small for the run). */
  ranOut: number;
}

async function labelingTable(ctx: BenchContext, root: string, postgresUrl: string): Promise<BenchTable> {
  const comparisons = ctx.quick ? 1_000 : 5_000;
  const seconds = ctx.quick ? 3 : 10;
  const rows: (string | number)[][] = [];
  const notes: string[] = [];
  const loadBefore = os.loadavg()[0]!;
  for (const backend of ['SQLite', 'PostgreSQL'] as const) {
    const databaseUrl =
      backend === 'PostgreSQL' ? await createDatabase(postgresUrl, 'hps_bench_labeling') : undefined;
    ctx.log(`team: ${backend}: ${comparisons} comparisons, ${ANNOTATORS} annotators`);
    const app = await createApp({
      libraryDir: path.join(root, `labeling-${backend}`),
      dataDir: path.join(root, 'data'),
      info: { version: 'bench', mode: 'serve', electron: null },
      databaseUrl,
    });
    let server: Awaited<ReturnType<typeof startServer>> | undefined;
    try {
      const tokens = await fillLabelingLibrary(app, comparisons);
      // Planner statistics, as autovacuum gathers within a minute of the fill on a running server.
      if (databaseUrl) await analyze(databaseUrl);
      // As `serve` starts it (main/cli/commands/serve.ts listen()).
      server = await startServer({
        api: createApi(app),
        host: '127.0.0.1',
        port: 0,
        staticDir: RENDERER_DIR,
        authenticate: teamAuthenticator(() => app.library),
      });
      const url = server.url;
      // Connections opened, handlers and queries warm: two items per annotator, not counted.
      await runLoad(url, tokens, { seconds: 60, iterations: 2, thinkMs: null });
      for (const [load, thinkMs] of [
        ['annotator pace (0.5–1.5 s to decide)', [500, 1500]],
        ['flat out (no time to decide)', null],
      ] as const) {
        ctx.log(`team: ${backend}: ${load}, ${seconds} s`);
        const result = await runLoad(url, tokens, { seconds, iterations: Infinity, thinkMs });
        if (result.ranOut > 0)
          notes.push(`${backend}, ${load}: ${result.ranOut} annotators ran out of items before the end.`);
        const p95 = Math.max(quantile(result.submitMs, 0.95), quantile(result.nextMs, 0.95));
        rows.push([
          backend,
          load,
          result.judgments / result.seconds,
          quantile(result.submitMs, 0.5),
          quantile(result.submitMs, 0.95),
          quantile(result.submitMs, 0.99),
          quantile(result.nextMs, 0.5),
          quantile(result.nextMs, 0.95),
          quantile(result.nextMs, 0.99),
          (p95 < 100 ? 'met' : 'missed') + (thinkMs ? '' : ' (saturated)'),
        ]);
      }
    } finally {
      // Closing the server closes its app; closing the app again is a no-op (and covers a failed start).
      await server?.app.close();
      await app.close();
    }
  }
  return {
    title: `${ANNOTATORS} annotators on one server over HTTP (${comparisons.toLocaleString('en')} two-image comparisons, overlap ${OVERLAP}, ${seconds} s per row)`,
    columns: [
      'backend',
      'load',
      'judgments/s',
      'submit p50 ms',
      'submit p95',
      'submit p99',
      'next p50 ms',
      'next p95',
      'next p99',
      'goal: p95 < 100 ms',
    ],
    rows,
    notes: [
      `Each annotator is a loop in this process (fetch, keep-alive, Bearer token): labeling.next {}, then labeling.submit with a choice; latency is the client's, request sent to answer parsed, and shares the event loop and ${os.availableParallelism()} cores with the server.`,
      'SQLite: WAL with synchronous = FULL, an fsync per commit, on the server thread. PostgreSQL: a local server started with fsync = on (synchronous_commit on), the library on a 10-connection pool, ANALYZE run after the fill (as autovacuum does on a running server).',
      loadNote(loadBefore),
      'The flat-out row is a closed loop with no pause: it measures the most the server takes, and its latency is the queueing of 50 waiting clients (50 / calls per s); the goal is for the annotator-pace row.',
      ...notes,
    ],
  };
}

/** Two tiny images, `comparisons` comparisons (one prompt each, one per (prompt, image set)), the overlap,
 *  and the annotators' tokens. */
async function fillLabelingLibrary(app: App, comparisons: number): Promise<string[]> {
  const library = app.library;
  const a = (await library.addImage(await solidPng(1))).image.id;
  const b = (await library.addImage(await solidPng(2))).image.id;
  await library.transaction(async (tx) => {
    for (let i = 0; i < comparisons; i++) await tx.addComparison({ prompt: `prompt ${i}`, imageIds: [a, b] });
  });
  app.labeling.setSettings({ overlap: OVERLAP, goldRate: 0 });
  const tokens: string[] = [];
  for (let i = 0; i < ANNOTATORS; i++)
    tokens.push((await library.annotators.create(`annotator ${i}`, 'annotator')).token);
  return tokens;
}

async function analyze(databaseUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('ANALYZE');
  } finally {
    await client.end();
  }
}

interface LabelItem {
  comparisonId: number;
  shownOrder: number[];
}

async function runLoad(
  baseUrl: string,
  tokens: readonly string[],
  options: { seconds: number; iterations: number; thinkMs: readonly [number, number] | null },
): Promise<LoadResult> {
  const result: LoadResult = { judgments: 0, seconds: 0, submitMs: [], nextMs: [], ranOut: 0 };
  const start = performance.now();
  const until = start + options.seconds * 1000;
  const annotator = async (token: string) => {
    const call = async <T>(name: string, body: unknown, times: number[]): Promise<T> => {
      const begin = performance.now();
      const response = await fetch(`${baseUrl}api/${name}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      const answer = (await response.json()) as T;
      times.push(performance.now() - begin);
      if (!response.ok) throw new Error(`${name}: HTTP ${response.status} ${JSON.stringify(answer)}`);
      return answer;
    };
    // At a pace, annotators start spread over one decision time, as a team does, not all in the same millisecond.
    if (options.thinkMs) await sleep(Math.random() * options.thinkMs[1]);
    for (let n = 0; n < options.iterations && (n === 0 || performance.now() < until); n++) {
      const { item } = await call<{ item: LabelItem | null }>('labeling.next', {}, result.nextMs);
      if (!item) {
        result.ranOut++;
        return;
      }
      const [low, high] = options.thinkMs ?? [0, 0];
      const decisionMs = Math.round(low + Math.random() * (high - low));
      if (decisionMs > 0) await sleep(decisionMs);
      await call(
        'labeling.submit',
        {
          comparisonId: item.comparisonId,
          kind: 'choice',
          chosenImageId: item.shownOrder[Math.random() < 0.5 ? 0 : 1],
          shownOrder: item.shownOrder,
          decisionMs,
          idempotencyKey: randomUUID(),
        },
        result.submitMs,
      );
      result.judgments++;
    }
  };
  await Promise.all(tokens.map(annotator));
  result.seconds = (performance.now() - start) / 1000;
  return result;
}

// ---------------------------------------------------------------------------------------------------------------
// 2. Scoring throughput with 1, 2 and 4 worker processes

const WORKER_COUNTS = [1, 2, 4] as const;
const CHUNK_SIZE = 16;
/** How long a worker gets to exit after SIGTERM before it is killed. */
const STOP_GRACE_MS = 5_000;
/** Workers that had to be killed after SIGTERM (see workerProcess's stop). */
let forcedKills = 0;
const SCORING_PROMPTS = [
  'a red fox in the snow',
  'a lighthouse at dusk',
  'a bowl of ramen',
  'a city at night',
];

interface ScoringResult {
  table: BenchTable;
  /** Measured images/s of one worker process with the tiny model, end to end through the queue. */
  oneWorkerImagesPerS: number;
  storeRowsPerS: number;
}

async function scoringTable(
  ctx: BenchContext,
  root: string,
  postgresUrl: string,
  redisUrl: string,
  cleanup: Cleanup,
): Promise<ScoringResult> {
  const imageCount = ctx.quick ? 64 : 512;
  forcedKills = 0;
  const dir = path.join(root, 'scoring-library');
  await mkdir(dir, { recursive: true });
  const databaseUrl = await createDatabase(postgresUrl, 'hps_bench_scoring');
  const library = await Library.open(dir, { databaseUrl });
  const queue = new ScoringQueue(redisUrl);
  try {
    await queue.ready();
    ctx.log(`team: scoring library, ${imageCount} 224×224 noise PNGs + 4 for warm-up`);
    const { warmUp, warmPromptId } = await fillScoringLibrary(library, imageCount);
    const rows: (string | number)[][] = [];
    const cores = os.availableParallelism();
    const loadBefore = os.loadavg()[0]!;
    let base = 0;
    let oneWorkerBusy = NaN;
    for (const n of WORKER_COUNTS) {
      // A fresh model id per run: every pair is unscored again.
      const spec: ScorerSpec = {
        modelId: `bench-${n}-workers`,
        kind: 'hps-v1',
        model: fixture('hps_v1_tiny.pt'),
        vocab: VOCAB,
      };
      const label = `team: ${n} worker process${n > 1 ? 'es' : ''}`;
      ctx.log(`${label}: starting`);
      const workers = await startWorkers(n, dir, databaseUrl, redisUrl, cleanup);
      try {
        // Warm-up: single-image chunks of images outside the timed set, until every worker has finished one
        // (loaded the model and its session); a busy worker leaves the next chunk to an idle one.
        for (let round = 0; workers.some((w) => w.completed === 0); round++) {
          if (round === 10) throw new Error('a worker took no warm-up chunk in 10 rounds');
          await queue.run(
            warmUp
              .slice(0, n)
              .map((image) => ({ scorer: spec, retryFailed: false, ...image, images: [image.image] })),
          );
        }
        const chunks = (await scoringChunks(library, spec, { chunkSize: CHUNK_SIZE })).filter(
          (chunk) => chunk.promptId !== warmPromptId,
        );
        const pairs = chunks.reduce((sum, chunk) => sum + chunk.images.length, 0);
        const before = workers.map((w) => w.completed);
        ctx.log(`${label}: ${chunks.length} chunks, ${pairs} pairs`);
        const cpuBefore = workers.map((w) => w.cpuSeconds());
        const boxBefore = boxCpuSeconds();
        const start = performance.now();
        const outcome = await queue.run(chunks);
        const seconds = (performance.now() - start) / 1000;
        const cpu = workers.reduce((sum, w, i) => sum + w.cpuSeconds() - cpuBefore[i]!, 0);
        const boxBusy = (boxCpuSeconds() - boxBefore) / seconds;
        if (outcome.scored !== pairs)
          throw new Error(`scored ${outcome.scored} of ${pairs} (${outcome.failed.length} failed)`);
        // Stopped before counting: a worker's last "chunk … scored" line may still be on its way.
        await Promise.all(workers.map((w) => w.stop()));
        const perS = pairs / seconds;
        if (n === 1) {
          base = perS;
          oneWorkerBusy = cpu / seconds;
        }
        const speedUp = perS / base;
        rows.push([
          n,
          pairs,
          seconds,
          perS,
          speedUp,
          speedUp / n,
          Number.isNaN(cpu) ? '–' : cpu / seconds,
          Number.isNaN(boxBusy) ? '–' : boxBusy,
          Number.isNaN(cpu) ? '–' : (cpu * 1000) / pairs,
          workers.map((w, i) => w.completed - before[i]!).join(' / '),
          n <= cores
            ? `≥ ${(0.9 * n).toFixed(1)}× ${speedUp >= 0.9 * n ? 'met' : 'missed'}`
            : `– (N > ${cores} cores)`,
        ]);
      } finally {
        await Promise.all(workers.map((w) => w.stop()));
      }
    }
    ctx.log('team: store ceiling (score rows written in chunk transactions)');
    const storeRowsPerS = await storeCeiling(dir, databaseUrl, ctx.quick ? 2 : 5);
    return {
      oneWorkerImagesPerS: base,
      storeRowsPerS,
      table: {
        title: `Library scoring on the Redis queue: tiny HPS v1 fixture, ${imageCount} images (224×224 PNG), chunks of ${CHUNK_SIZE}, PostgreSQL library`,
        columns: [
          'worker processes',
          'images',
          'wall s',
          'images/s',
          'speed-up vs 1 worker',
          'efficiency',
          'worker cores busy',
          'box cores busy',
          'worker CPU ms/image',
          'chunks per worker',
          'goal (≤ cores)',
        ],
        rows,
        notes: [
          `os.availableParallelism() = ${cores}; the workers (\`hps-studio worker\`, separate processes, --ep cpu) share these cores with the server's queue, PostgreSQL and Redis, and each one's onnxruntime and sharp use every core they see: one worker alone kept ${oneWorkerBusy.toFixed(2)} of ${cores} cores busy, so on this box more worker processes cannot add much, and the goal can only be checked on separate hosts. onnxruntime also pins its intra-op pool thread to core 1 in every process (its thread's Cpus_allowed_list; a taskset mask does not stop it, so one-core-per-worker pinning cannot be emulated here): several workers on one host contend for that core, and the worker has no option to set its thread count.`,
          'Timed from queue.run() to its last chunk completed; before it, each worker set scores single-image warm-up chunks (other images, same model) until every worker has finished one, so model load and session build are outside the timing.',
          loadNote(loadBefore),
          'Worker cores busy: the worker processes’ CPU seconds (user + system, from /proc, all threads) during the timed run over its wall seconds; CPU ms/image is the same CPU over the images. Box cores busy: every process on the box (/proc/stat, not idle, iowait or steal), ours and others’.',
          'End to end per chunk: queue round trip, PNG decode + CLIP preprocessing, the tiny model (ViT of the HPS v1 fixture), one PostgreSQL transaction of the chunk’s scores (fsync on).',
          ...(forcedKills > 0
            ? [
                `Between runs the workers get SIGTERM; ${forcedKills} of ${WORKER_COUNTS.reduce((sum, n) => sum + n, 0)} were still up ${STOP_GRACE_MS / 1000} s later and were killed: an idle \`hps-studio worker\` does not exit on SIGTERM (ScoringWorker.close() leaves the Redis connection it gave BullMQ's Worker open).`,
              ]
            : []),
        ],
      },
    };
  } finally {
    await queue.close();
    await library.close();
  }
}

/** `count` distinct noise images, two per comparison across the prompts (one pair per image), plus four warm-up
 *  images under their own prompt. */
async function fillScoringLibrary(library: Library, count: number) {
  const ids: number[] = [];
  for (let i = 0; i < count + 4; i++) ids.push((await library.addImage(await noisePng(224))).image.id);
  for (let i = 0; i + 1 < count; i += 2)
    await library.addComparison({
      prompt: SCORING_PROMPTS[(i / 2) % SCORING_PROMPTS.length]!,
      imageIds: [ids[i]!, ids[i + 1]!],
    });
  const warm = ids.slice(count);
  const warmPrompt = 'warm-up';
  const first = await library.addComparison({ prompt: warmPrompt, imageIds: [warm[0]!, warm[1]!] });
  await library.addComparison({ prompt: warmPrompt, imageIds: [warm[2]!, warm[3]!] });
  const promptId = first.comparison.promptId;
  const warmUp: (Pick<ScoreChunk, 'promptId' | 'prompt'> & { image: ScoreChunk['images'][number] })[] = [];
  for (const id of warm) {
    const image = (await library.getImage(id))!;
    warmUp.push({ promptId, prompt: warmPrompt, image: { id, hash: image.hash, ext: image.ext } });
  }
  return { warmUp, warmPromptId: promptId };
}

interface WorkerProcess {
  /** Chunks this worker has finished (from its "chunk <id>: N scored" lines). */
  readonly completed: number;
  /** Resolves on its "Worker ready" line; rejects if it exits first. */
  readonly ready: Promise<void>;
  /** User + system CPU seconds of the process so far (all its threads; NaN where /proc is missing). */
  cpuSeconds(): number;
  /** SIGTERM, then waits for it to exit; SIGKILL after STOP_GRACE_MS. */
  stop(): Promise<void>;
}

/** `n` `hps-studio worker` processes, resolved once each has printed "Worker ready". The URLs go in the
 *  environment (HPS_DATABASE_URL, HPS_QUEUE_URL), not on command lines other users can list. */
async function startWorkers(
  n: number,
  libraryDir: string,
  databaseUrl: string,
  queueUrl: string,
  cleanup: Cleanup,
): Promise<WorkerProcess[]> {
  const workers: WorkerProcess[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const child = spawn(
        process.execPath,
        [path.join(REPO, 'bin/hps-studio.mjs'), 'worker', '--library', libraryDir],
        {
          cwd: REPO,
          env: { ...process.env, HPS_DATABASE_URL: databaseUrl, HPS_QUEUE_URL: queueUrl },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      workers.push(workerProcess(child, cleanup));
    }
    await Promise.all(workers.map((w) => w.ready));
    return workers;
  } catch (error) {
    await Promise.all(workers.map((w) => w.stop()));
    throw error;
  }
}

function workerProcess(child: ChildProcess, cleanup: Cleanup): WorkerProcess {
  let completed = 0;
  let pending = '';
  let stderr = '';
  // 'close', not 'exit': its output has been read to the end by then.
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker not ready after 120 s: ${stderr}`)), 120_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      const lines = (pending + chunk.toString()).split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        if (line.startsWith('Worker ready')) {
          clearTimeout(timer);
          resolve();
        }
        if (/^chunk \S+: \d+ scored/.test(line)) completed++;
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`worker exited (${code ?? signal}) before it was ready: ${stderr}`));
    });
  });
  ready.catch(() => {});
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    // Every chunk is done by now, so nothing is lost by not waiting long: an idle worker answers SIGTERM by
    // closing its queue worker and library, but the process stays up (the Redis connection ScoringWorker hands
    // to BullMQ's Worker is never disconnected and keeps reconnecting), so after the grace it is killed.
    const timer = setTimeout(() => {
      forcedKills++;
      child.kill('SIGKILL');
    }, STOP_GRACE_MS);
    await exited;
    clearTimeout(timer);
  };
  const forget = cleanup.add(stop);
  return {
    get completed() {
      return completed;
    },
    ready,
    cpuSeconds: () => processCpuSeconds(child.pid),
    stop: () => stop().finally(forget),
  };
}

/** utime + stime from /proc/<pid>/stat, in seconds (USER_HZ is 100 on Linux). */
function processCpuSeconds(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

/** Non-idle CPU seconds of the whole box since boot (/proc/stat; NaN where it is missing). */
function boxCpuSeconds(): number {
  try {
    const [, user, nice, system, , , irq, softirq] = readFileSync('/proc/stat', 'utf8')
      .split('\n')[0]!
      .trim()
      .split(/\s+/)
      .map(Number);
    return (user! + nice! + system! + irq! + softirq!) / 100;
  } catch {
    return NaN;
  }
}

/**
 * What the shared PostgreSQL takes, whatever the hosts: score rows written the way a worker stores a chunk (one
 * transaction of score upserts and failure clears per 32 images), by 4 connections at once, for `seconds`.
 */
async function storeCeiling(dir: string, databaseUrl: string, seconds: number): Promise<number> {
  const writers = await Promise.all(Array.from({ length: 4 }, () => Library.open(dir, { databaseUrl })));
  try {
    const images = (await writers[0]!.listImages()).map((image) => image.id);
    const promptId = (await writers[0]!.listPrompts())[0]!.id;
    const until = performance.now() + seconds * 1000;
    const start = performance.now();
    let rows = 0;
    await Promise.all(
      writers.map(async (library, w) => {
        for (let chunk = 0; performance.now() < until; chunk++) {
          const ids = Array.from({ length: 32 }, (_, i) => images[(chunk * 32 + i + w * 7) % images.length]!);
          await library.transaction(async (tx) => {
            for (const imageId of ids) {
              await tx.scores.set({
                modelId: `store-${w}`,
                imageId,
                promptId,
                score: 20 + Math.random(),
                cosine: 0.2,
              });
              await tx.scores.clearFailure(`store-${w}`, imageId);
            }
          });
          rows += ids.length;
        }
      }),
    );
    return rows / ((performance.now() - start) / 1000);
  } finally {
    await Promise.all(writers.map((library) => library.close()));
  }
}

// ---------------------------------------------------------------------------------------------------------------
// 3. Projection: 1 M images on N GPU hosts

const PROJECTED_IMAGES = 1_000_000;
const HOSTS = [1, 4, 16, 64] as const;

function projectionTable(scoring: ScoringResult): BenchTable {
  const gpu = (model: keyof typeof CPU_IMAGES_PER_S) => CPU_IMAGES_PER_S[model] * GPU_HOST_SPEEDUP;
  const wall = (perHost: number, hosts: number) =>
    duration(PROJECTED_IMAGES / Math.min(perHost * hosts, scoring.storeRowsPerS));
  const capped = (perHost: number, hosts: number) =>
    perHost * hosts > scoring.storeRowsPerS ? ' (store-bound)' : '';
  const rows = HOSTS.map((hosts) => [
    hosts,
    wall(scoring.oneWorkerImagesPerS, hosts) + capped(scoring.oneWorkerImagesPerS, hosts),
    wall(CPU_IMAGES_PER_S['ViT-L/14'], hosts),
    wall(gpu('ViT-L/14'), hosts) + capped(gpu('ViT-L/14'), hosts),
    wall(gpu('ViT-H/14'), hosts) + capped(gpu('ViT-H/14'), hosts),
  ]);
  return {
    title: `Projection: ${PROJECTED_IMAGES.toLocaleString('en')} images (one prompt each) on N hosts, one worker per host`,
    columns: [
      'hosts',
      `tiny fixture, hosts like this box (measured ${scoring.oneWorkerImagesPerS.toFixed(1)} images/s)`,
      `HPS v1 ViT-L/14, CPU hosts like this box (${CPU_IMAGES_PER_S['ViT-L/14']} images/s)`,
      `HPS v1 ViT-L/14, GPU host (assumed ${gpu('ViT-L/14').toFixed(0)} images/s)`,
      `HPS v2 ViT-H/14, GPU host (assumed ${gpu('ViT-H/14').toFixed(0)} images/s)`,
    ],
    rows,
    notes: [
      `Measured here: the tiny fixture's images/s of one worker process end to end through the queue (table above, 1 worker), and the store ceiling: the shared PostgreSQL (fsync on, this box) wrote ${scoring.storeRowsPerS.toFixed(0)} score rows/s in chunk transactions of 32 from 4 connections (on this 2-core box; a dedicated database host would take more). Wall time = images / min(hosts × images/s per host, store ceiling).`,
      `Taken from bench/score/RESULTS.md (measured on this 2-core CPU box, end to end, batch 8, random weights of the real shapes): ViT-L/14 ${CPU_IMAGES_PER_S['ViT-L/14']} images/s, ViT-H/14 ${CPU_IMAGES_PER_S['ViT-H/14']} images/s.`,
      `ASSUMED, not measured: a GPU host scores ${GPU_HOST_SPEEDUP}× this box's end-to-end images/s (HPS_BENCH_GPU_SPEEDUP sets it); no GPU run backs this number. Also assumed: hosts scale linearly up to the store ceiling (one box cannot test several hosts: the worker table above shares 2 cores), and the library's images are on storage every host reads at that rate.`,
    ],
  };
}

/** The box is shared: its 1-minute load average before and after a table, to read the numbers by. */
function loadNote(before: number): string {
  return `1-minute load average ${before.toFixed(1)} before, ${os.loadavg()[0]!.toFixed(1)} after (${os.availableParallelism()} cores).`;
}

function duration(seconds: number): string {
  if (seconds < 120) return `${seconds.toFixed(0)} s`;
  if (seconds < 2 * 3600) return `${(seconds / 60).toFixed(0)} min`;
  if (seconds < 2 * 86400) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86400).toFixed(1)} days`;
}

// ---------------------------------------------------------------------------------------------------------------

/** Clean-up steps run last-in first-out, once each, even after an error (and on Ctrl-C). */
class Cleanup {
  private readonly steps: (() => Promise<unknown>)[] = [];
  private running: Promise<void> | undefined;

  /** Adds a step; the returned function drops it (the step was done another way). */
  add(step: () => Promise<unknown>): () => void {
    this.steps.push(step);
    return () => {
      const index = this.steps.indexOf(step);
      if (index >= 0) this.steps.splice(index, 1);
    };
  }

  run(): Promise<void> {
    this.running ??= (async () => {
      while (this.steps.length > 0) {
        const step = this.steps.pop()!;
        let timer: NodeJS.Timeout | undefined;
        // One step that hangs (a server that never answers its signal) must not keep the rest from running.
        await Promise.race([
          step().catch(() => {}),
          new Promise((resolve) => (timer = setTimeout(resolve, 60_000))),
        ]);
        clearTimeout(timer);
      }
    })();
    return this.running;
  }
}

function solidPng(seed: number): Promise<Buffer> {
  return sharp({ create: { width: 64, height: 64, channels: 3, background: { r: seed * 40, g: 10, b: 10 } } })
    .png()
    .toBuffer();
}

function noisePng(size: number): Promise<Buffer> {
  const pixels = Buffer.alloc(size * size * 3);
  for (let i = 0; i < pixels.length; i++) pixels[i] = Math.floor(Math.random() * 256);
  return sharp(pixels, { raw: { width: size, height: size, channels: 3 } })
    .png()
    .toBuffer();
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}
