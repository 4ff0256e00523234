// The loaded scorers of one API process (the live readouts' models): loading from the model store or a path,
// background scoring jobs that fill the library's scores and emit `score.updated` per image as each batch
// finishes, re-runs after imports and generations, and near-duplicates from the scorers' image embeddings.
import path from 'node:path';
import { precisionFor, type ExecutionProvider } from '../engine/runtime';
import type { App } from './app';
import type { Comparison, Library } from '../services/library';
import { findEntry } from '../services/model-store';
import { detectCheckpoint, type DetectedCheckpoint } from '../services/model-store/detect';
import {
  createScorer,
  EmbeddingCache,
  type Scorer,
  type ScorerKind,
  type ScoreRow,
} from '../services/scoring';
import { scoreLibrary } from '../services/scoring/jobs';
import { scoringChunks, type ScorerSpec } from '../services/queue/scoring-chunks';
import type { ScoringQueue } from '../services/queue/scoring-queue';
import type { JobContext } from '../services/jobs';
import { nearDuplicateGroups } from '../services/scoring/near-duplicates';
import type { CallOutput, ParsedInput } from '../contract';
import { ApiError } from '../contract/errors';
import { imageView, orderScorers } from './library-views';

type LoadedScorerInfo = CallOutput<'scorers.list'>['scorers'][number];

interface LoadedScorer {
  info: Omit<LoadedScorerInfo, 'jobId' | 'failed'>;
  scorer: Scorer;
  /** What a queue worker loads to score the library with the same model (files on the shared path). */
  spec: ScorerSpec;
  job: { id: string; done: Promise<unknown> } | null;
  /** New work arrived while the job ran: it goes round once more. */
  again: boolean;
  /** The next round tries again the images that failed before (scorers.scoreLibrary retryFailed). */
  retryFailed: boolean;
  /** Scoring outside the library job (generated images) now running: unload aborts and awaits them. */
  uses: Set<{ abort: AbortController; done: Promise<unknown> }>;
}

interface ResolvedFiles {
  id: string;
  kind: ScorerKind;
  model: string;
  head?: string;
  vocab?: string;
}

/** Finished jobs that add (image, prompt) pairs to the library. Generated images join it as comparisons
 *  (generate.sendToLabeling / sendPairs), which call scoreComparison. */
const ADDS_PAIRS: ReadonlySet<string> = new Set(['library.import']);
const CLIP_LAYOUTS: ReadonlySet<DetectedCheckpoint['kind']> = new Set([
  'openai-clip',
  'open-clip',
  'hf-clip',
]);
const KIND_OF_LAYOUT: Partial<Record<DetectedCheckpoint['kind'], ScorerKind>> = {
  'openai-clip': 'hps-v1',
  'open-clip': 'hps-v2',
  'hf-clip': 'clip',
};
const BPE_VOCAB = { id: 'clip-bpe-vocab', file: 'bpe_simple_vocab_16e6.txt.gz' };

/** The scorers the studio has loaded, their library-scoring jobs and the scores they give everything else. */
export class LoadedScorers {
  private readonly loaded = new Map<string, LoadedScorer>();
  /** Shut down: nothing loads or starts scoring any more. */
  private closed = false;

  constructor(private readonly app: App) {
    app.jobs.onChange((job) => {
      if (job.status === 'done' && ADDS_PAIRS.has(job.kind)) this.scoreLibrary();
    });
  }

  list(): Promise<LoadedScorerInfo[]> {
    return Promise.all(this.ids().map((id) => this.describe(this.loaded.get(id)!)));
  }

  /** The loaded scorers' ids in list order, without reading their failure counts from the library. */
  ids(): string[] {
    return orderScorers([...this.loaded.keys()]);
  }

  /** Scores image files outside the library (a generated batch) with one loaded scorer. An unload (or
   *  shutdown) meanwhile aborts it rather than closing the sessions under it. */
  async scoreFiles(
    id: string,
    files: readonly string[],
    prompt: string,
    signal?: AbortSignal,
  ): Promise<ScoreRow[]> {
    const entry = this.loaded.get(id);
    if (!entry) throw new ApiError('not_found', `${id} was unloaded`);
    const abort = new AbortController();
    const use = {
      abort,
      done: entry.scorer.score(files, [prompt], {
        signal: signal ? AbortSignal.any([signal, abort.signal]) : abort.signal,
      }),
    };
    entry.uses.add(use);
    try {
      return await use.done;
    } finally {
      entry.uses.delete(use);
    }
  }

  async load(input: ParsedInput<'scorers.load'>): Promise<LoadedScorerInfo> {
    const files = await this.resolve(input);
    if (this.loaded.has(files.id)) throw new ApiError('bad_request', `${files.id} is already loaded`);
    if (this.closed) throw new ApiError('bad_request', 'the studio is shutting down');
    const scorer = await createScorer({
      kind: files.kind,
      model: files.model,
      head: files.head,
      vocab: files.vocab,
      ep: input.ep,
      precision: input.precision,
      cache: new EmbeddingCache(),
    }).catch((error: Error) => {
      throw new ApiError('bad_request', `cannot load ${files.model} as ${files.kind}: ${error.message}`);
    });
    // Shut down while the sessions were created: nothing would ever close them.
    if (this.closed) {
      await scorer.close();
      throw new ApiError('bad_request', 'the studio is shutting down');
    }
    const precision = input.precision ?? precisionFor(scorer.ep as ExecutionProvider);
    const entry: LoadedScorer = {
      info: {
        id: files.id,
        kind: files.kind,
        model: files.model,
        vocab: files.vocab ?? null,
        ep: scorer.ep,
        precision,
      },
      scorer,
      spec: {
        modelId: files.id,
        kind: files.kind,
        model: files.model,
        ...(files.head ? { head: files.head } : {}),
        ...(files.vocab ? { vocab: files.vocab } : {}),
        ...(input.precision ? { precision: input.precision } : {}),
      },
      job: null,
      again: false,
      retryFailed: false,
      uses: new Set(),
    };
    this.loaded.set(files.id, entry);
    if (input.scoreLibrary) this.scoreLibrary(files.id);
    return this.describe(entry);
  }

  async unload(id: string): Promise<boolean> {
    const entry = this.loaded.get(id);
    if (!entry) return false;
    this.loaded.delete(id);
    if (entry.job) {
      this.app.jobs.cancel(entry.job.id);
      await entry.job.done.catch(() => {});
    }
    for (const use of entry.uses) use.abort.abort(new Error(`${id} was unloaded`));
    await Promise.all([...entry.uses].map((use) => use.done.catch(() => {})));
    await entry.scorer.close();
    return true;
  }

  /** Starts (or extends) the background job of one loaded scorer, or of each; returns their job ids. Images
   *  that failed before are skipped unless `retryFailed`. */
  scoreLibrary(id?: string, { retryFailed = false } = {}): string[] {
    if (id !== undefined && !this.loaded.has(id)) throw new ApiError('not_found', `no loaded scorer "${id}"`);
    const targets = id === undefined ? [...this.loaded.values()] : [this.loaded.get(id)!];
    for (const entry of targets) entry.retryFailed ||= retryFailed;
    return targets.map((entry) => this.startJob(entry));
  }

  /** A comparison just added (generated images) or about to be shown: any loaded scorer missing one of its
   *  pairs gets (or extends) a job. */
  async scoreComparison(comparison: Comparison): Promise<void> {
    if (this.loaded.size === 0) return;
    const library = this.app.library;
    for (const entry of [...this.loaded.values()]) {
      const scores = await library.scores.list({ modelId: entry.info.id, promptId: comparison.promptId });
      // Unloaded while its scores were read: its sessions are closed, it starts nothing.
      if (this.loaded.get(entry.info.id) !== entry) continue;
      const scored = new Set(scores.map((s) => s.imageId));
      if (comparison.images.some((image) => !scored.has(image.id))) this.startJob(entry);
    }
  }

  async nearDuplicates(scorerId: string, threshold: number): Promise<CallOutput<'library.nearDuplicates'>> {
    const entry = this.loaded.get(scorerId);
    if (!entry) throw new ApiError('not_found', `no loaded scorer "${scorerId}": load one in Models`);
    const library = this.app.library;
    const images = await library.listImages();
    const encodings = await entry.scorer.encodeImages(images.map((image) => library.imagePath(image)));
    const failed: number[] = [];
    const embedded = encodings.flatMap((encoding, i) => {
      if (!encoding.features) return (failed.push(images[i]!.id), []);
      return [{ id: images[i]!, features: encoding.features }];
    });
    const comparisonsOf = new Map<number, number[]>();
    for (const comparison of await library.listComparisons())
      for (const image of comparison.images)
        comparisonsOf.set(image.id, [...(comparisonsOf.get(image.id) ?? []), comparison.id]);
    const groups = await Promise.all(
      nearDuplicateGroups(embedded, threshold).map(async (group) => ({
        images: await Promise.all(group.ids.map((image) => imageView(library, image, true))),
        comparisonIds: [...new Set(group.ids.flatMap((image) => comparisonsOf.get(image.id) ?? []))],
        minCosine: group.minCosine,
      })),
    );
    return { groups, failed };
  }

  /** Shutdown: nothing loads or starts scoring any more; running scoring is cancelled and every scorer freed. */
  async close(): Promise<void> {
    this.closed = true;
    for (const id of [...this.loaded.keys()]) await this.unload(id);
  }

  private async describe(entry: LoadedScorer): Promise<LoadedScorerInfo> {
    const failed = (await this.app.library.scores.failures(entry.info.id)).length;
    return { ...entry.info, jobId: entry.job?.id ?? null, failed };
  }

  private startJob(entry: LoadedScorer): string {
    if (this.closed) throw new ApiError('bad_request', 'the studio is shutting down');
    if (entry.job) {
      entry.again = true;
      return entry.job.id;
    }
    const { id: scorerId } = entry.info;
    const library = this.app.library;
    const job = this.app.jobs.start(
      { kind: 'scores', title: `Score the library with ${scorerId}` },
      async (ctx) => {
        let scored = 0;
        do {
          entry.again = false;
          const retryFailed = entry.retryFailed;
          entry.retryFailed = false;
          const announce = (scores: readonly { imageId: number; score: number }[]) => {
            for (const s of scores)
              this.app.events.emit('score.updated', { imageId: String(s.imageId), scorerId, score: s.score });
          };
          const queue = this.app.scoringQueue;
          const result = queue
            ? await scoreOnQueue(queue, library, entry.spec, { retryFailed, ctx, announce })
            : await scoreLibrary(library, entry.scorer, scorerId, {
                retryFailed,
                signal: ctx.signal,
                onProgress: (done, total) =>
                  ctx.progress(total ? done / total : 1, `${done} of ${total} pairs`),
                onBatch: announce,
              });
          scored += result.scored;
        } while (entry.again);
        return scored;
      },
    );
    entry.job = job;
    void job.done
      .catch(() => {})
      .finally(() => {
        if (entry.job === job) entry.job = null;
        // Work that arrived after the last round's scan: one more job (not after a cancel, nor once unloaded).
        const finished = this.app.jobs.get(job.id)?.status === 'done';
        if (entry.again && finished && this.loaded.get(scorerId) === entry) this.startJob(entry);
        entry.again = false;
      });
    return job.id;
  }

  private async resolve(input: ParsedInput<'scorers.load'>): Promise<ResolvedFiles> {
    const source = input.modelId !== undefined ? await this.fromStore(input.modelId) : fromPath(input.path!);
    const head =
      input.headPath ??
      (input.headModelId === undefined ? source.head : (await this.fromStore(input.headModelId)).model);
    const model = source.model;
    const detected = await detect(model);
    const trainedKind =
      detected.kind === 'trained-scorer' ? trainedScorerKind(detected, input.kind) : undefined;
    if (!trainedKind && !CLIP_LAYOUTS.has(detected.kind))
      throw new ApiError(
        'bad_request',
        detected.kind === 'aesthetic-mlp'
          ? `${model} is an aesthetic MLP head: load its CLIP ViT-L/14 as the model and pass this as the head`
          : `${model} is ${detected.label}, not a CLIP scorer checkpoint`,
      );
    const kind = trainedKind ?? input.kind ?? source.kind ?? KIND_OF_LAYOUT[detected.kind]!;
    return {
      id: source.id,
      kind,
      model,
      head,
      vocab: input.vocab ?? source.vocab ?? (await this.installedVocab(kind)),
    };
  }

  private async fromStore(modelId: string): Promise<Source> {
    const { store, local } = this.app.models;
    if (modelId.startsWith('local-')) {
      const model = await local.get(modelId);
      if (!model) throw new ApiError('not_found', `no local model "${modelId}"`);
      return { ...fromPath(model.path), id: stem(model.name) };
    }
    const entry = (() => {
      try {
        return findEntry(store.catalog, modelId);
      } catch {
        throw new ApiError('not_found', `no model "${modelId}" in the catalog`);
      }
    })();
    if ((await store.status(entry.id)).state !== 'installed')
      throw new ApiError('bad_request', `${entry.name} is not installed: download or import it in Models`);
    const file =
      entry.files.length === 1 ? store.filePath(entry.id, entry.files[0]!.path) : store.modelDir(entry.id);
    if (entry.scorer === 'aesthetic') {
      const tower = entry.requires[0];
      if (!tower) throw new ApiError('bad_request', `${entry.name} names no CLIP tower to run on`);
      if ((await store.status(tower)).state !== 'installed')
        throw new ApiError('bad_request', `${entry.name} needs ${tower}: download it in Models`);
      return { id: entry.id, kind: 'aesthetic', model: store.modelDir(tower), head: file };
    }
    return {
      id: entry.id,
      kind: entry.scorer,
      model: file,
      vocab: entry.tokenizer === 'hf-clip' ? store.modelDir(entry.id) : undefined,
    };
  }

  private async installedVocab(kind: ScorerKind): Promise<string | undefined> {
    if (kind === 'aesthetic') return undefined;
    const { store } = this.app.models;
    if ((await store.status(BPE_VOCAB.id)).state !== 'installed')
      throw new ApiError(
        'bad_request',
        'no tokenizer: install the CLIP BPE vocabulary in Models or pass vocab',
      );
    return store.filePath(BPE_VOCAB.id, BPE_VOCAB.file);
  }
}

interface Source {
  id: string;
  kind?: ScorerKind;
  model: string;
  /** aesthetic from the catalog: the MLP (the model is then the CLIP tower it runs on). */
  head?: string;
  vocab?: string;
}

/** A scorer trained in HPS Studio runs as the kind its header names (preprocessing and score scale of its base). */
function trainedScorerKind(detected: DetectedCheckpoint, asked: ScorerKind | undefined): ScorerKind {
  const kind = detected.details.scorerKind as ScorerKind;
  if (asked !== undefined && asked !== kind)
    throw new ApiError('bad_request', `${detected.path} is a trained ${kind} scorer, not ${asked}`);
  return kind;
}

function fromPath(file: string): Source {
  return { id: stem(file), model: path.resolve(file) };
}

function stem(file: string): string {
  return path.basename(file).replace(/\.(pt|pth|bin|ckpt|safetensors)$/i, '');
}

async function detect(model: string): Promise<DetectedCheckpoint> {
  try {
    return await detectCheckpoint(model);
  } catch (error) {
    throw new ApiError('bad_request', `cannot use ${model} as a scorer: ${(error as Error).message}`);
  }
}

/** The library's unscored pairs as queue chunks for the workers; their scores come back chunk by chunk. */
async function scoreOnQueue(
  queue: ScoringQueue,
  library: Library,
  spec: ScorerSpec,
  options: {
    retryFailed: boolean;
    ctx: JobContext;
    announce: (scores: readonly { imageId: number; score: number }[]) => void;
  },
): Promise<{ scored: number }> {
  const chunks = await scoringChunks(library, spec, { retryFailed: options.retryFailed });
  const pairs = chunks.reduce((sum, chunk) => sum + chunk.images.length, 0);
  let done = 0;
  return queue.run(chunks, {
    signal: options.ctx.signal,
    onProgress: ({ result }) => {
      if (!result) return;
      done += result.scores.length + result.failed.length;
      options.announce(result.scores);
      options.ctx.progress(pairs ? done / pairs : 1, `${done} of ${pairs} pairs (queue workers)`);
    },
  });
}
