// Training for the studio: LoRA runs from the library's labels on a worker thread per run, pause/resume through
// the worker channel, progress as training.progress events (their losses kept for views that open mid-run),
// restart of a stopped run from its checkpoint, the run history from <library>/training-runs, scorer
// fine-tuning and the label-next queues.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { CallOutput, EventPayload, ParsedInput } from '../contract';
import { ApiError } from '../contract/errors';
import type { JobContext } from '../services/jobs';
import { exportPairs } from '../services/library';
import { labelNextByDisagreement } from '../services/preference-training';
import {
  listTrainingRuns,
  noScoresMessage,
  parseTrainingConfig,
  type LoraTrainingInput,
  type TrainingProgress,
  type TrainingResult,
} from '../services/training/lora';
import type { App } from './app';
import type { LabelNextInput, ScorerTaskEvent, ScorerTaskInput, trainScorer } from './tasks/scorer-task';
import type { TrainingCommand } from './tasks/training-task';
import type { TaskModuleName } from './tasks/task-modules';
import type { TaskRunner } from './tasks/task-worker';

interface LiveRun {
  jobId: string;
  runName: string;
  paused: boolean;
  losses: number[];
  last: EventPayload<'training.progress'> | null;
  command(command: TrainingCommand): void;
}

type ScorerReport = Awaited<ReturnType<typeof trainScorer>>;
type LabelNextQueue = { comparisonId: number; priority: number }[];

const timestamp = () => new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-');

export class TrainingRuns {
  private readonly live = new Map<string, LiveRun>();
  /** Every worker a run or scorer job has open (closed by the job, or by close()). */
  private readonly workers = new Set<TaskRunner>();

  constructor(private readonly app: App) {}

  private get historyDir(): string {
    return path.join(this.app.libraryDir, 'training-runs');
  }

  /** Starts a LoRA run of the library's labels (or of the pairs a scorer's scores choose). */
  async start(settings: ParsedInput<'training.start'>): Promise<CallOutput<'training.start'>> {
    const name = settings.name ?? `${settings.recipe}-${timestamp()}`;
    const { jobId, runName, output } = this.startJob(await this.loraInput(settings, name), name);
    return { jobId, runName, output };
  }

  async restart(runId: string): Promise<CallOutput<'training.restart'>> {
    const record = (await listTrainingRuns(this.historyDir)).find((r) => r.id === runId);
    if (!record) throw new ApiError('not_found', `no training run "${runId}"`);
    if (record.status === 'completed') throw new ApiError('bad_request', `run "${runId}" already completed`);
    const name = path.basename(record.config.out, path.extname(record.config.out));
    const { jobId, runName, output } = this.startJob({ ...record.config, resume: true }, name);
    return { jobId, runName, output };
  }

  /** The service's settings for a run of the call's settings (public: tests read what a call would train). */
  async loraInput(settings: ParsedInput<'training.start'>, name: string): Promise<LoraTrainingInput> {
    const { name: _name, pairsBy, minMargin, ...rest } = settings;
    const { libraryDir, dataDir } = this.app;
    if (minMargin !== undefined && pairsBy === undefined)
      throw new ApiError('bad_request', 'minMargin applies to pairs chosen by a scorer (pairsBy) only');
    // Fail at once rather than as a failed job when the scorer has stored nothing to choose pairs by.
    if (pairsBy !== undefined && !(await this.app.library.scores.models()).includes(pairsBy))
      throw new ApiError('bad_request', noScoresMessage(pairsBy));
    const input: LoraTrainingInput = {
      ...rest,
      data: this.app.location.databaseUrl
        ? await this.exportedPairs(name, pairsBy)
        : {
            library: libraryDir,
            ...(pairsBy !== undefined ? { pairsBy: { scorer: pairsBy, minMargin } } : {}),
          },
      out: path.join(libraryDir, 'loras', `${name}.safetensors`),
      log: path.join(libraryDir, 'loras', `${name}.log.jsonl`),
      historyDir: this.historyDir,
      workDir: path.join(dataDir, 'cache', 'training'),
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

  /**
   * A PostgreSQL library's judgments as a pairs JSONL in the shared library folder: the trainer (here or on a
   * queue worker host) reads pairs from a file, and the run's record names that file, so a resumed run trains on
   * the same pairs.
   */
  private async exportedPairs(name: string, pairsBy: string | undefined): Promise<{ pairs: string }> {
    if (pairsBy !== undefined)
      throw new ApiError(
        'bad_request',
        'pairs chosen by a scorer are not available on a PostgreSQL library yet: train on the human labels',
      );
    const file = path.join(this.historyDir, `${name}.pairs.jsonl`);
    await mkdir(path.dirname(file), { recursive: true });
    await exportPairs(this.app.library, file, { preferencesOnly: true });
    return { pairs: file };
  }

  startJob(
    input: LoraTrainingInput,
    runName: string,
  ): { jobId: string; runName: string; output: string; done: Promise<TrainingResult> } {
    const { jobs, events } = this.app;
    if ([...this.live.values()].some((r) => r.runName === runName && jobs.get(r.jobId)?.status === 'running'))
      throw new ApiError('bad_request', `run "${runName}" is already training`);
    let entry: LiveRun | undefined;
    const { id: jobId, done } = this.onWorker(
      'training-task',
      'train',
      { kind: 'training', title: `Train LoRA (${input.recipe}): ${runName}` },
      async (worker, job) => {
        const run = worker.run<TrainingResult, TrainingProgress>(input, job, (event) => {
          if (!entry) return;
          if (event.phase === 'training' && event.loss !== undefined)
            entry.losses[event.step - 1] = event.loss;
          entry.paused = event.phase === 'paused';
          entry.last = { jobId: job.id, runName, ...event };
          job.progress(
            event.step / event.totalSteps,
            event.message ?? `step ${event.step} of ${event.totalSteps}`,
          );
          events.emit('training.progress', entry.last);
        });
        entry = { jobId: job.id, runName, paused: false, losses: [], last: null, command: run.command };
        this.live.set(job.id, entry);
        const result = await run.done;
        entry.losses = result.losses;
        return result;
      },
    );
    return { jobId, runName, output: String(input.out), done };
  }

  command(jobId: string, command: TrainingCommand): void {
    const run = this.live.get(jobId);
    if (!run || this.app.jobs.get(jobId)?.status !== 'running')
      throw new ApiError('not_found', `no running training job "${jobId}"`);
    run.command(command);
  }

  liveRuns(): CallOutput<'training.live'> {
    return {
      runs: [...this.live.values()]
        .reverse()
        .map(({ jobId, runName, paused, losses, last }) => ({ jobId, runName, paused, losses, last })),
    };
  }

  async history(): Promise<CallOutput<'training.runs'>> {
    const records = await listTrainingRuns(this.historyDir);
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

  startScorer(settings: ParsedInput<'training.scorerStart'>): CallOutput<'training.scorerStart'> {
    const name = settings.name ?? `${settings.kind}-${timestamp()}`;
    const out = path.join(this.app.libraryDir, 'scorers', `${name}.safetensors`);
    const { kind, base, vocab, ep, blocks, steps, lr, batchSize, seed, testFraction } = settings;
    const input: ScorerTaskInput = {
      library: this.app.location,
      ...{ kind, base, vocab, ep, out },
      settings: { blocks, steps, lr, batchSize, seed, testFraction },
    };
    const { id: jobId, done } = this.onWorker(
      'scorer-task',
      'trainScorer',
      { kind: 'training.scorer', title: `Train scorer (${kind}): ${name}` },
      (worker, job) =>
        worker.run<ScorerReport, ScorerTaskEvent>(input, job, (event) => {
          if (event.type === 'message') return job.progress(0, event.message);
          job.progress(event.log.step / steps, `step ${event.log.step} of ${steps}`);
          this.app.events.emit('training.scorerStep', {
            jobId: job.id,
            step: event.log.step,
            totalSteps: steps,
            loss: event.log.loss,
          });
        }).done,
    );
    void done.then(
      async (report) => {
        // The result is a scorer like any other: listed on the Models page (registered where it lies).
        await this.app.models
          .import({ path: out, mode: 'in-place', name: `${name} (fine-tuned ${kind})` })
          .catch(() => undefined);
        const { trainComparisons, testComparisons, before, after, others, losses } = report;
        this.app.events.emit('training.scorerDone', {
          ...{ jobId, output: out, kind, trainComparisons, testComparisons },
          ...{ before, after, others, losses },
        });
      },
      () => undefined,
    );
    return { jobId, output: out };
  }

  async labelNext(input: ParsedInput<'training.labelNext'>): Promise<CallOutput<'training.labelNext'>> {
    const library = this.app.library;
    const { queue, unscored } =
      input.source === 'disagreement'
        ? await badRequestOnError(() =>
            labelNextByDisagreement(library, input.scorers, { limit: input.limit }),
          )
        : { queue: await this.uncertaintyQueue(input), unscored: 0 };
    return {
      queue: await Promise.all(
        queue.map(async (q) => ({
          ...q,
          prompt: (await library.getComparison(q.comparisonId))?.prompt ?? '',
        })),
      ),
      unscored,
    };
  }

  /** Stops every run and scorer job still on a worker (a LoRA run saves its checkpoint when cancelled first). */
  async close(): Promise<void> {
    await Promise.allSettled([...this.workers].map((worker) => worker.close()));
    this.workers.clear();
  }

  /** One scorer runs over the unlabeled comparisons, on a worker (a job the Jobs list shows). */
  private uncertaintyQueue({
    source: _source,
    ...input
  }: Extract<ParsedInput<'training.labelNext'>, { source: 'uncertainty' }>): Promise<LabelNextQueue> {
    const task: LabelNextInput = { library: this.app.location, ...input };
    return this.onWorker(
      'scorer-task',
      'labelNext',
      { kind: 'label-next', title: 'Rank unlabeled comparisons by uncertainty' },
      (worker, job) => worker.run<LabelNextQueue>(task, job, () => undefined).done,
    ).done;
  }

  /** Runs one export of a task module as a job on its own worker, closed when the job ends. */
  private onWorker<O>(
    module: TaskModuleName,
    exportName: string,
    spec: { kind: string; title: string },
    work: (worker: TaskRunner, job: JobContext) => Promise<O>,
  ) {
    return this.app.jobs.start(spec, async (job) => {
      const worker = this.app.taskRunner(module, exportName);
      this.workers.add(worker);
      try {
        return await work(worker, job);
      } finally {
        this.workers.delete(worker);
        await worker.close();
      }
    });
  }
}

/** Stored scores only, so it answers at once; a scorer without scores is the caller's mistake. */
async function badRequestOnError<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw new ApiError('bad_request', (error as Error).message);
  }
}
