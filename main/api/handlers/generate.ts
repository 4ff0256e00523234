// Generate handlers: a job per request on the generation worker (pipelines stay warm there), previews and
// the finished batch as events, then a chip per image from every loaded scorer (generate.scored, one event
// per scorer), batches recorded as JSON next to their PNGs under <library>/generated/.
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type GENERATE_SCHEDULERS, type CallOutput, type ParsedInput } from '../../contract';
import type { ApiContext } from '../context';
import { ApiError } from '../../contract/errors';
import { libraryAt } from '../library-access';
import { ScorerService } from '../scorer-service';
import { type SCHEDULER_NAMES } from '../../services/diffusion/schedulers';
import type { JobContext, JobRegistry } from '../../services/jobs';
import { findEntry } from '../../services/models';
import { isScoreError, type ScoreRow } from '../../services/scoring';
import type { GenerateTaskEvent, GenerateTaskOutput } from './tasks/generate-task';
import { TaskWorker, workerModule } from './tasks/task-worker';
import type { Handlers } from './types';

// The contract (which the renderer imports) cannot import the service, so it lists the names itself.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const schedulersAgree: Same<(typeof GENERATE_SCHEDULERS)[number], (typeof SCHEDULER_NAMES)[number]> = true;
void schedulersAgree;

type Batch = CallOutput<'generate.batch'>;

const workers = new WeakMap<JobRegistry, TaskWorker>();

/** One generation worker per API instance (its pipelines are the expensive part to keep). */
function generationWorker(ctx: ApiContext): TaskWorker {
  let worker = workers.get(ctx.jobs);
  if (!worker) {
    worker = new TaskWorker(
      workerModule('generate-task', './tasks/generate-task.ts', import.meta.url),
      'generate',
    );
    workers.set(ctx.jobs, worker);
  }
  return worker;
}

const BATCH_ID = /^[A-Za-z0-9-]{1,100}$/;

function batchDir(ctx: ApiContext, batchId: string): string {
  if (!BATCH_ID.test(batchId)) throw new ApiError('bad_request', `"${batchId}" is not a batch id`);
  return path.join(ctx.libraryDir, 'generated', batchId);
}

async function readBatch(ctx: ApiContext, batchId: string): Promise<Batch> {
  const file = path.join(batchDir(ctx, batchId), 'batch.json');
  const text = await readFile(file, 'utf8').catch(() => undefined);
  if (text === undefined) throw new ApiError('not_found', `no finished batch "${batchId}"`);
  return upgradeBatch(JSON.parse(text) as LegacyBatch);
}

/** Batches written before the loaded scorers gave the chips had one `scorer` (also in the settings). */
type LegacyBatch = Omit<Batch, 'images' | 'scorers' | 'scoreErrors' | 'settings' | 'loraWarnings'> & {
  settings: Batch['settings'] & { scorer?: unknown };
  images: (Omit<Batch['images'][number], 'scores'> & { scores?: Record<string, number> })[];
  scorers?: string[];
  scoreErrors?: Record<string, string>;
  loraWarnings?: string[];
  scorer?: unknown;
  score?: unknown;
};

function upgradeBatch({ scorer: _scorer, score: _score, ...batch }: LegacyBatch): Batch {
  const { scorer: _setting, ...settings } = batch.settings;
  return {
    ...batch,
    settings,
    images: batch.images.map(({ path: file, seed, scores }) => ({ path: file, seed, scores: scores ?? {} })),
    scorers: batch.scorers ?? [],
    scoreErrors: batch.scoreErrors ?? {},
    loraWarnings: batch.loraWarnings ?? [],
  };
}

async function writeBatch(ctx: ApiContext, batch: Batch): Promise<void> {
  await mkdir(batchDir(ctx, batch.batchId), { recursive: true });
  await writeFile(path.join(batchDir(ctx, batch.batchId), 'batch.json'), JSON.stringify(batch, null, 1));
}

// Scores arriving and "send to labeling" both rewrite batch.json: one update at a time per batch.
const batchUpdates = new Map<string, Promise<unknown>>();

function updateBatch(ctx: ApiContext, batchId: string, change: (batch: Batch) => Batch): Promise<Batch> {
  const key = batchDir(ctx, batchId);
  const update = (batchUpdates.get(key) ?? Promise.resolve())
    .catch(() => undefined)
    .then(async () => {
      const batch = change(await readBatch(ctx, batchId));
      await writeBatch(ctx, batch);
      return batch;
    });
  batchUpdates.set(key, update);
  void update.finally(() => batchUpdates.get(key) === update && batchUpdates.delete(key)).catch(() => {});
  return update;
}

/** Every scorer loaded when the batch finished scores its images, one generate.scored event each. */
async function scoreBatch(ctx: ApiContext, batch: Batch, job: JobContext): Promise<Batch> {
  const service = ScorerService.of(ctx);
  const files = batch.images.map((image) => path.join(ctx.libraryDir, image.path));
  let latest = batch;
  for (const scorerId of batch.scorers) {
    job.progress(0.99, `scoring with ${scorerId}`);
    let rows: ScoreRow[] = [];
    let error: string | undefined;
    try {
      job.signal.throwIfAborted();
      rows = await service.scoreFiles(scorerId, files, batch.settings.prompt, job.signal);
    } catch (e) {
      // Cancelled: the chips still settle (as not scored) before the job ends cancelled.
      error = job.signal.aborted ? 'scoring was cancelled' : (e as Error).message;
    }
    // An image it could not read (one error row) leaves that image's chip "not scored".
    error ??= rows.filter(isScoreError)[0]?.error;
    const scores = batch.images.map((image, i) => {
      const row = rows[i];
      return { path: image.path, score: row && !isScoreError(row) ? row.score : null };
    });
    latest = await updateBatch(ctx, batch.batchId, (old) => ({
      ...old,
      images: old.images.map((image, i) => {
        const score = scores[i]?.score;
        return score == null ? image : { ...image, scores: { ...image.scores, [scorerId]: score } };
      }),
      scoreErrors: error ? { ...old.scoreErrors, [scorerId]: error } : old.scoreErrors,
    }));
    ctx.events.emit('generate.scored', {
      jobId: batch.jobId,
      batchId: batch.batchId,
      scorerId,
      scores,
      ...(error ? { error } : {}),
    });
  }
  job.signal.throwIfAborted();
  return latest;
}

const relative = (ctx: ApiContext, file: string) =>
  path.relative(ctx.libraryDir, file).split(path.sep).join('/');

/** Starts a generate job; resolves to the batch (also emitted as generate.done). */
export function startGeneration(
  settings: ParsedInput<'generate.start'>,
  ctx: ApiContext,
  batchId = `${new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-')}-${randomUUID().slice(0, 8)}`,
): { jobId: string; batchId: string; done: Promise<Batch> } {
  const outDir = batchDir(ctx, batchId);
  const started = performance.now();
  const { id: jobId, done } = ctx.jobs.start(
    { kind: 'generate', title: `Generate: ${settings.prompt.slice(0, 60)}` },
    async (job) => {
      job.progress(0, 'loading the model');
      const run = generationWorker(ctx).run<GenerateTaskOutput, GenerateTaskEvent>(
        { ...settings, outDir, workDir: path.join(ctx.dataDir, 'cache', 'graphs') },
        job,
        (event) => {
          if (event.type === 'progress')
            job.progress(event.step / (event.total + 1), `step ${event.step} of ${event.total}`);
          else ctx.events.emit('generate.preview', { jobId: job.id, batchId, ...event });
        },
      );
      const output = await run.done;
      const batch: Batch = {
        batchId,
        jobId: job.id,
        settings,
        images: output.images.map((img) => ({ path: relative(ctx, img.file), seed: img.seed, scores: {} })),
        scorers: ScorerService.of(ctx)
          .list()
          .map((scorer) => scorer.id),
        scoreErrors: {},
        loraWarnings: output.loraWarnings,
        seconds: (performance.now() - started) / 1000,
        comparisonId: null,
      };
      await writeBatch(ctx, batch);
      ctx.events.emit('generate.done', batch);
      return scoreBatch(ctx, batch, job);
    },
  );
  return { jobId, batchId, done };
}

async function installedModels(ctx: ApiContext): Promise<CallOutput<'generate.models'>> {
  const { store, local } = ctx.models;
  const statuses = await store.list();
  const models: CallOutput<'generate.models'>['models'] = [];
  for (const status of statuses.filter((s) => s.state === 'installed')) {
    const entry = findEntry(store.catalog, status.id);
    if (entry.purpose !== 'generator') continue;
    const only = entry.files.length === 1 ? entry.files[0]! : undefined;
    models.push({
      id: entry.id,
      name: entry.name,
      path: only ? store.filePath(entry.id, only.path) : store.modelDir(entry.id),
    });
  }
  const locals = await local.list();
  const pick = (kinds: string[]) =>
    locals
      .filter((m) => kinds.includes(m.detected.kind))
      .map((m) => ({ id: m.id, name: m.name, path: m.path }));
  return {
    models: [...models, ...pick(['sd-diffusers', 'sd-single-file'])],
    loras: pick(['lora-kohya', 'lora-peft']),
  };
}

async function sendToLabeling(
  { batchId, images }: ParsedInput<'generate.sendToLabeling'>,
  ctx: ApiContext,
): Promise<CallOutput<'generate.sendToLabeling'>> {
  const batch = await readBatch(ctx, batchId);
  const chosen = images ?? batch.images.map((i) => i.path);
  const unknown = chosen.filter((p) => !batch.images.some((i) => i.path === p));
  if (unknown.length > 0) throw new ApiError('bad_request', `not in batch ${batchId}: ${unknown.join(', ')}`);
  if (chosen.length < 2)
    throw new ApiError(
      'bad_request',
      'a comparison needs at least two images: generate a batch of 2 or more',
    );
  const bytes = await Promise.all(chosen.map((p) => readFile(path.join(ctx.libraryDir, p))));
  const { comparison, duplicate } = await libraryAt(ctx.libraryDir).addGenerated({
    prompt: batch.settings.prompt,
    images: bytes,
    group: batchId,
  });
  ScorerService.of(ctx).scoreComparison(comparison);
  await updateBatch(ctx, batchId, (latest) => ({ ...latest, comparisonId: comparison.id }));
  return { comparisonId: comparison.id, created: !duplicate };
}

/** The prompt is the base image's (the adapted one may carry the identifier only as its negative prompt). */
async function sendPairs(
  { pairs }: ParsedInput<'generate.sendPairs'>,
  ctx: ApiContext,
): Promise<CallOutput<'generate.sendPairs'>> {
  const library = libraryAt(ctx.libraryDir);
  const comparisonIds: number[] = [];
  for (const pair of pairs) {
    const base = await readBatch(ctx, pair.base.batchId);
    const files = [pair.base, pair.adapted];
    for (const ref of files) {
      const batch = ref === pair.base ? base : await readBatch(ctx, ref.batchId);
      if (!batch.images.some((i) => i.path === ref.path))
        throw new ApiError('bad_request', `${ref.path} is not an image of batch ${ref.batchId}`);
    }
    const { comparison } = await library.addGenerated({
      prompt: base.settings.prompt,
      images: await Promise.all(files.map((ref) => readFile(path.join(ctx.libraryDir, ref.path)))),
      group: 'lora-ab',
      source: 'lora-ab',
    });
    comparisonIds.push(comparison.id);
    ScorerService.of(ctx).scoreComparison(comparison);
  }
  return { comparisonIds };
}

export const generateHandlers = {
  'generate.start': async (settings, ctx) => {
    const { jobId, batchId } = startGeneration(settings, ctx);
    return { jobId, batchId };
  },
  'generate.batch': async ({ batchId }, ctx) => readBatch(ctx, batchId),
  'generate.models': async (_input, ctx) => installedModels(ctx),
  'generate.sendToLabeling': sendToLabeling,
  'generate.sendPairs': sendPairs,
} satisfies Partial<Handlers>;
