// Training handlers: LoRA runs from the library's labels on a worker thread per run, pause/resume through
// the worker channel, progress as training.progress events (their losses kept for views that open mid-run),
// restart of a stopped run from its checkpoint, and the run history from <library>/training-runs.
import path from 'node:path';
import type { CallOutput, EventPayload, ParsedInput } from '../../contract';
import type { ApiContext } from '../context';
import { ApiError } from '../../contract/errors';
import { libraryAt } from '../library-access';
import type { JobRegistry } from '../../services/jobs';
import { labelNextByDisagreement } from '../../services/preference-training';
import {
  listTrainingRuns,
  noScoresMessage,
  parseTrainingConfig,
  type LoraTrainingInput,
  type TrainingProgress,
  type TrainingResult,
} from '../../services/training/lora';
import type { LabelNextInput, ScorerTaskEvent, ScorerTaskInput, trainScorer } from './tasks/scorer-task';
import type { TrainingCommand } from './tasks/training-task';
import { TaskWorker, workerModule } from './tasks/task-worker';
import type { Handlers } from './types';

interface LiveRun {
  jobId: string;
  runName: string;
  paused: boolean;
  losses: number[];
  last: EventPayload<'training.progress'> | null;
  command(command: TrainingCommand): void;
}

const live = new WeakMap<JobRegistry, Map<string, LiveRun>>();

function liveRuns(ctx: ApiContext): Map<string, LiveRun> {
  let runs = live.get(ctx.jobs);
  if (!runs) live.set(ctx.jobs, (runs = new Map()));
  return runs;
}

const historyDir = (ctx: ApiContext) => path.join(ctx.libraryDir, 'training-runs');
const outputFile = (ctx: ApiContext, name: string) =>
  path.join(ctx.libraryDir, 'loras', `${name}.safetensors`);

function defaultName(recipe: string): string {
  return `${recipe}-${new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-')}`;
}

/** The service's settings for a run of the library's labels (or of the pairs a scorer's scores choose). */
export function loraServiceInput(
  settings: ParsedInput<'training.start'>,
  ctx: ApiContext,
  name: string,
): LoraTrainingInput {
  const { name: _name, pairsBy, minMargin, ...rest } = settings;
  if (minMargin !== undefined && pairsBy === undefined)
    throw new ApiError('bad_request', 'minMargin applies to pairs chosen by a scorer (pairsBy) only');
  // Fail at once rather than as a failed job when the scorer has stored nothing to choose pairs by.
  if (pairsBy !== undefined && !libraryAt(ctx.libraryDir).catalog.scoredModels().includes(pairsBy))
    throw new ApiError('bad_request', noScoresMessage(pairsBy));
  const input: LoraTrainingInput = {
    ...rest,
    data: {
      library: ctx.libraryDir,
      ...(pairsBy !== undefined ? { pairsBy: { scorer: pairsBy, minMargin } } : {}),
    },
    out: outputFile(ctx, name),
    log: path.join(ctx.libraryDir, 'loras', `${name}.log.jsonl`),
    historyDir: historyDir(ctx),
    workDir: path.join(ctx.dataDir, 'cache', 'training'),
    resume: true,
  };
  // The service's own rules (e.g. a regularisation folder only with the HPS recipe) answer now, not as a failed job.
  try {
    parseTrainingConfig(input);
  } catch (error) {
    throw new ApiError('bad_request', (error as Error).message);
  }
  return input;
}

export function startTrainingJob(
  input: LoraTrainingInput,
  runName: string,
  ctx: ApiContext,
): { jobId: string; runName: string; output: string; done: Promise<TrainingResult> } {
  const runs = liveRuns(ctx);
  if ([...runs.values()].some((r) => r.runName === runName && ctx.jobs.get(r.jobId)?.status === 'running'))
    throw new ApiError('bad_request', `run "${runName}" is already training`);
  const worker = new TaskWorker(
    workerModule('training-task', './tasks/training-task.ts', import.meta.url),
    'train',
  );
  let entry: LiveRun | undefined;
  const { id: jobId, done } = ctx.jobs.start(
    { kind: 'training', title: `Train LoRA (${input.recipe}): ${runName}` },
    async (job) => {
      const run = worker.run<TrainingResult, TrainingProgress>(input, job, (event) => {
        if (!entry) return;
        if (event.phase === 'training' && event.loss !== undefined) entry.losses[event.step - 1] = event.loss;
        entry.paused = event.phase === 'paused';
        entry.last = { jobId: job.id, runName, ...event };
        job.progress(
          event.step / event.totalSteps,
          event.message ?? `step ${event.step} of ${event.totalSteps}`,
        );
        ctx.events.emit('training.progress', entry.last);
      });
      entry = { jobId: job.id, runName, paused: false, losses: [], last: null, command: run.command };
      runs.set(job.id, entry);
      try {
        const result = await run.done;
        entry.losses = result.losses;
        return result;
      } finally {
        await worker.close();
      }
    },
  );
  return { jobId, runName, output: String(input.out), done };
}

function liveRun(ctx: ApiContext, jobId: string): LiveRun {
  const run = liveRuns(ctx).get(jobId);
  if (!run || ctx.jobs.get(jobId)?.status !== 'running')
    throw new ApiError('not_found', `no running training job "${jobId}"`);
  return run;
}

async function runsOf(ctx: ApiContext): Promise<CallOutput<'training.runs'>> {
  const records = await listTrainingRuns(historyDir(ctx));
  return {
    runs: records.map((r) => ({
      id: r.id,
      status: r.status,
      recipe: r.config.recipe,
      model: r.config.model,
      vocab: r.config.vocab,
      pairsBy: 'library' in r.config.data ? r.config.data.pairsBy?.scorer : undefined,
      resolution: r.config.resolution,
      startedAt: r.startedAt,
      updatedAt: r.updatedAt,
      step: r.step,
      totalSteps: r.totalSteps,
      firstLoss: r.firstLoss,
      lastLoss: r.lastLoss,
      output: r.output,
      error: r.error,
      name: path.basename(r.config.out, path.extname(r.config.out)),
    })),
  };
}

type ScorerReport = Awaited<ReturnType<typeof trainScorer>>;
const SCORER_TASKS = workerModule('scorer-task', './tasks/scorer-task.ts', import.meta.url);

/** Runs one export of the scorer task module as a job on its own worker. */
function scorerJob<O>(
  ctx: ApiContext,
  spec: { kind: string; title: string },
  exportName: string,
  input: ScorerTaskInput | LabelNextInput,
  onEvent: (event: ScorerTaskEvent, job: { id: string; progress(f: number, m?: string): void }) => void,
) {
  return ctx.jobs.start(spec, async (job) => {
    const worker = new TaskWorker(SCORER_TASKS, exportName);
    try {
      return await worker.run<O, ScorerTaskEvent>(input, job, (event) => onEvent(event, job)).done;
    } finally {
      await worker.close();
    }
  });
}

function startScorerTraining(
  settings: ParsedInput<'training.scorerStart'>,
  ctx: ApiContext,
): CallOutput<'training.scorerStart'> {
  const name =
    settings.name ?? `${settings.kind}-${new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-')}`;
  const out = path.join(ctx.libraryDir, 'scorers', `${name}.safetensors`);
  const { kind, base, vocab, ep, blocks, steps, lr, batchSize, seed, testFraction } = settings;
  const input: ScorerTaskInput = {
    library: ctx.libraryDir,
    kind,
    base,
    vocab,
    ep,
    out,
    settings: { blocks, steps, lr, batchSize, seed, testFraction },
  };
  const { id: jobId, done } = scorerJob<ScorerReport>(
    ctx,
    { kind: 'training.scorer', title: `Train scorer (${kind}): ${name}` },
    'trainScorer',
    input,
    (event, job) => {
      if (event.type === 'message') return job.progress(0, event.message);
      job.progress(event.log.step / steps, `step ${event.log.step} of ${steps}`);
      ctx.events.emit('training.scorerStep', {
        jobId: job.id,
        step: event.log.step,
        totalSteps: steps,
        loss: event.log.loss,
      });
    },
  );
  void done.then(
    async (report) => {
      // The result is a scorer like any other: listed on the Models page (registered where it lies).
      await ctx.models
        .import({ path: out, mode: 'in-place', name: `${name} (fine-tuned ${kind})` })
        .catch(() => undefined);
      ctx.events.emit('training.scorerDone', {
        jobId,
        output: out,
        kind,
        trainComparisons: report.trainComparisons,
        testComparisons: report.testComparisons,
        before: report.before,
        after: report.after,
        others: report.others,
        losses: report.losses,
      });
    },
    () => undefined,
  );
  return { jobId, output: out };
}

async function labelNextQueue(
  input: ParsedInput<'training.labelNext'>,
  ctx: ApiContext,
): Promise<CallOutput<'training.labelNext'>> {
  const library = libraryAt(ctx.libraryDir);
  const { queue, unscored } =
    input.source === 'disagreement'
      ? disagreement(() => labelNextByDisagreement(library, input.scorers, { limit: input.limit }))
      : { queue: await uncertaintyQueue(input, ctx), unscored: 0 };
  return {
    queue: queue.map((q) => ({ ...q, prompt: library.getComparison(q.comparisonId)?.prompt ?? '' })),
    unscored,
  };
}

/** One scorer runs over the unlabeled comparisons, on a worker (a job the Jobs list shows). */
function uncertaintyQueue(
  { source: _source, ...input }: Extract<ParsedInput<'training.labelNext'>, { source: 'uncertainty' }>,
  ctx: ApiContext,
): Promise<{ comparisonId: number; priority: number }[]> {
  return scorerJob<{ comparisonId: number; priority: number }[]>(
    ctx,
    { kind: 'label-next', title: 'Rank unlabeled comparisons by uncertainty' },
    'labelNext',
    { library: ctx.libraryDir, ...input },
    () => undefined,
  ).done;
}

/** Stored scores only, so it answers at once; a scorer without scores is the caller's mistake. */
function disagreement<T>(work: () => T): T {
  try {
    return work();
  } catch (error) {
    throw new ApiError('bad_request', (error as Error).message);
  }
}

export const trainingHandlers = {
  'training.start': async (settings, ctx) => {
    const name = settings.name ?? defaultName(settings.recipe);
    const { jobId, runName, output } = startTrainingJob(loraServiceInput(settings, ctx, name), name, ctx);
    return { jobId, runName, output };
  },
  'training.pause': async ({ jobId }, ctx) => {
    liveRun(ctx, jobId).command('pause');
    return { paused: true };
  },
  'training.resume': async ({ jobId }, ctx) => {
    liveRun(ctx, jobId).command('resume');
    return { resumed: true };
  },
  'training.restart': async ({ runId }, ctx) => {
    const record = (await listTrainingRuns(historyDir(ctx))).find((r) => r.id === runId);
    if (!record) throw new ApiError('not_found', `no training run "${runId}"`);
    if (record.status === 'completed') throw new ApiError('bad_request', `run "${runId}" already completed`);
    const name = path.basename(record.config.out, path.extname(record.config.out));
    const { jobId, runName, output } = startTrainingJob({ ...record.config, resume: true }, name, ctx);
    return { jobId, runName, output };
  },
  'training.live': async (_input, ctx) => ({
    runs: [...liveRuns(ctx).values()]
      .reverse()
      .map(({ jobId, runName, paused, losses, last }) => ({ jobId, runName, paused, losses, last })),
  }),
  'training.runs': async (_input, ctx) => runsOf(ctx),
  'training.scorerStart': async (settings, ctx) => startScorerTraining(settings, ctx),
  'training.labelNext': labelNextQueue,
} satisfies Partial<Handlers>;
