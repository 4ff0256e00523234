// Generation for the studio: a job per request on the generation worker (pipelines stay warm there), previews
// and the finished batch as events, then a chip per image from every loaded scorer (generate.scored, one event
// per scorer); batches go to the BatchStore, and chosen images on to labeling.
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { CallOutput, ParsedInput } from '../../contract';
import { ApiError } from '../../contract/errors';
import type { JobContext } from '../../services/jobs';
import { findEntry } from '../../services/model-store';
import { isScoreError, type ScoreRow } from '../../services/scoring';
import type { App } from '../app';
import type { GenerateTaskEvent, GenerateTaskOutput } from '../tasks/generate-task';
import type { TaskRunner } from '../tasks/task-worker';
import { libraryRelative } from '../library-views';
import { BatchStore, type Batch } from './batch-store';

export class Generation {
  readonly batches: BatchStore;
  /** Started on the first request: its pipelines are the expensive part to keep. */
  private worker: TaskRunner | undefined;

  constructor(private readonly app: App) {
    this.batches = new BatchStore(app.libraryDir);
  }

  /** Starts a generate job; resolves to the batch (also emitted as generate.done). */
  start(
    settings: ParsedInput<'generate.start'>,
    batchId = `${new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-')}-${randomUUID().slice(0, 8)}`,
  ): { jobId: string; batchId: string; done: Promise<Batch> } {
    const outDir = this.batches.dir(batchId);
    const started = performance.now();
    const { id: jobId, done } = this.app.jobs.start(
      { kind: 'generate', title: `Generate: ${settings.prompt.slice(0, 60)}` },
      async (job) => {
        job.progress(0, 'loading the model');
        const run = this.generationWorker().run<GenerateTaskOutput, GenerateTaskEvent>(
          { ...settings, outDir, workDir: path.join(this.app.dataDir, 'cache', 'graphs') },
          job,
          (event) => {
            if (event.type === 'progress')
              job.progress(event.step / (event.total + 1), `step ${event.step} of ${event.total}`);
            else this.app.events.emit('generate.preview', { jobId: job.id, batchId, ...event });
          },
        );
        const output = await run.done;
        const batch: Batch = {
          batchId,
          jobId: job.id,
          settings,
          images: output.images.map((img) => ({
            path: libraryRelative(this.app.libraryDir, img.file),
            seed: img.seed,
            scores: {},
          })),
          scorers: this.app.scorers.ids(),
          scoreErrors: {},
          loraWarnings: output.loraWarnings,
          seconds: (performance.now() - started) / 1000,
          comparisonId: null,
        };
        await this.batches.write(batch);
        this.app.events.emit('generate.done', batch);
        return this.scoreBatch(batch, job);
      },
    );
    return { jobId, batchId, done };
  }

  /** The generators and LoRAs installed from the catalog or imported locally. */
  async installedModels(): Promise<CallOutput<'generate.models'>> {
    const { store, local } = this.app.models;
    const models: CallOutput<'generate.models'>['models'] = [];
    for (const status of (await store.list()).filter((s) => s.state === 'installed')) {
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

  async sendToLabeling({
    batchId,
    images,
  }: ParsedInput<'generate.sendToLabeling'>): Promise<CallOutput<'generate.sendToLabeling'>> {
    const batch = await this.batches.read(batchId);
    const chosen = images ?? batch.images.map((i) => i.path);
    const unknown = chosen.filter((p) => !batch.images.some((i) => i.path === p));
    if (unknown.length > 0)
      throw new ApiError('bad_request', `not in batch ${batchId}: ${unknown.join(', ')}`);
    if (chosen.length < 2)
      throw new ApiError(
        'bad_request',
        'a comparison needs at least two images: generate a batch of 2 or more',
      );
    const { comparison, duplicate } = await this.app.library.addGenerated({
      prompt: batch.settings.prompt,
      images: await Promise.all(chosen.map((p) => readFile(path.join(this.app.libraryDir, p)))),
      group: batchId,
    });
    await this.app.scorers.scoreComparison(comparison);
    await this.batches.update(batchId, (latest) => ({ ...latest, comparisonId: comparison.id }));
    return { comparisonId: comparison.id, created: !duplicate };
  }

  /** The prompt is the base image's (the adapted one may carry the identifier only as its negative prompt). */
  async sendPairs({ pairs }: ParsedInput<'generate.sendPairs'>): Promise<CallOutput<'generate.sendPairs'>> {
    const comparisonIds: number[] = [];
    for (const pair of pairs) {
      const base = await this.batches.read(pair.base.batchId);
      const files = [pair.base, pair.adapted];
      for (const ref of files) {
        const batch = ref === pair.base ? base : await this.batches.read(ref.batchId);
        if (!batch.images.some((i) => i.path === ref.path))
          throw new ApiError('bad_request', `${ref.path} is not an image of batch ${ref.batchId}`);
      }
      const { comparison } = await this.app.library.addGenerated({
        prompt: base.settings.prompt,
        images: await Promise.all(files.map((ref) => readFile(path.join(this.app.libraryDir, ref.path)))),
        group: 'lora-ab',
        source: 'lora-ab',
      });
      comparisonIds.push(comparison.id);
      await this.app.scorers.scoreComparison(comparison);
    }
    return { comparisonIds };
  }

  /** Stops the worker and its warm pipelines once the batch rewrites in flight have landed. */
  async close(): Promise<void> {
    await this.batches.settle();
    await this.worker?.close();
    this.worker = undefined;
  }

  private generationWorker(): TaskRunner {
    this.worker ??= this.app.taskRunner('generate-task', 'generate');
    return this.worker;
  }

  /** Every scorer loaded when the batch finished scores its images, one generate.scored event each. */
  private async scoreBatch(batch: Batch, job: JobContext): Promise<Batch> {
    const files = batch.images.map((image) => path.join(this.app.libraryDir, image.path));
    let latest = batch;
    for (const scorerId of batch.scorers) {
      job.progress(0.99, `scoring with ${scorerId}`);
      const { scores, error } = await this.scoreWith(scorerId, batch, files, job);
      latest = await this.batches.update(batch.batchId, (old) => ({
        ...old,
        images: old.images.map((image, i) => {
          const score = scores[i]?.score;
          return score == null ? image : { ...image, scores: { ...image.scores, [scorerId]: score } };
        }),
        scoreErrors: error ? { ...old.scoreErrors, [scorerId]: error } : old.scoreErrors,
      }));
      this.app.events.emit('generate.scored', {
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

  private async scoreWith(scorerId: string, batch: Batch, files: string[], job: JobContext) {
    let rows: ScoreRow[] = [];
    let error: string | undefined;
    try {
      job.signal.throwIfAborted();
      rows = await this.app.scorers.scoreFiles(scorerId, files, batch.settings.prompt, job.signal);
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
    return { scores, error };
  }
}
