// Every scorer kind over one implementation: a CLIP checkpoint's image and text towers on the engine, an
// embedding cache in front of the image tower, and the kind's score convention (kinds.ts). Aesthetic adds
// the LAION MLP head on the image features and uses no text tower.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadStateDict, type StateDict } from '../../checkpoints';
import {
  SessionCache,
  precisionFor,
  storageFor,
  type ComputePrecision,
  type ExecutionProvider,
  type GraphTarget,
  type TensorMap,
} from '../../engine/runtime';
import {
  buildAestheticGraph,
  AESTHETIC_OUTPUT,
  EMBEDDING_INPUT,
  aestheticInputWidth,
} from '../../models/aesthetic';
import {
  ClipModel,
  type TensorTable,
  EOT_INPUT,
  IMAGE_INPUT,
  IMAGE_OUTPUT,
  TEXT_OUTPUT,
  TOKENS_INPUT,
  eotIndices,
} from '../../models/clip';
import { ClipTokenizer } from '../../tokenizer';
import { IMAGE_SIZE, type PreprocessMode } from '../../image';
import { modelIdentity, resolveCheckpoint, type ResolvedCheckpoint } from './checkpoint';
import { EmbeddingCache, type EmbeddingStore } from './embedding-cache';
import { pixelBatches, type Settled } from './image-batches';
import { KIND_SPECS, type KindSpec } from './kinds';
import { dot, normalized, softmax } from './math';
import { InThreadHost, WorkerHost, type SessionHost, type TowerSession } from './sessions';
import type { ImageEncoding, ImageInput, ScoreOptions, ScoreRow, Scorer, ScorerKind } from './types';

export interface ScorerOptions {
  kind: ScorerKind;
  /** CLIP checkpoint (file or folder; for aesthetic the ViT-L/14 CLIP), or tensors already in hand. */
  model: string | TensorCheckpoint;
  /** aesthetic: the LAION MLP .pth / .safetensors. */
  head?: string;
  /** bpe_simple_vocab_16e6.txt.gz or an HF tokenizer folder (not needed for aesthetic). */
  vocab?: string;
  ep?: ExecutionProvider;
  /** Default: fp32 on cpu, fp16 (fp32 softmax/LayerNorm) on GPU EPs. */
  precision?: ComputePrecision;
  /** Run the sessions in this thread from this cache (default: a worker thread of the scorer's own). */
  sessions?: SessionCache;
  /** Run the sessions in this thread even without a shared cache (the worker lets preprocessing overlap inference). */
  inThread?: boolean;
  cache?: EmbeddingStore;
  /** Folder for models written with external data; default a temporary folder removed on close(). */
  workDir?: string;
  /** Override the attention lowering (engine/runtime/graph-session.ts: fusedAttentionFor). */
  fusedAttention?: boolean;
  /** An EP that fails to load the model falls back to cpu with a warning here. */
  onWarning?: (message: string) => void;
}

/** Weights that are not a file (benchmarks, converted models): `id` names them in the embedding cache. */
export interface TensorCheckpoint {
  id: string;
  tensors: TensorTable;
}

const TEXT_BATCH = 32;

interface Runtime extends GraphTarget {
  host: SessionHost;
}

export class ClipScorer implements Scorer {
  private textSession?: Promise<TowerSession>;
  private readonly textFeatures = new Map<string, Float32Array>();

  private constructor(
    readonly kind: ScorerKind,
    readonly id: string,
    private readonly spec: KindSpec,
    private readonly preprocess: PreprocessMode,
    private readonly model: ClipModel,
    private readonly checkpoint: Pick<StateDict, 'close'>,
    private readonly runtime: Runtime,
    private readonly vision: TowerSession,
    private readonly head: TowerSession | undefined,
    private readonly tokenizer: ClipTokenizer | undefined,
    private readonly logitScale: number,
    private readonly cache: EmbeddingStore,
    private readonly ownedWorkDir: string | undefined,
  ) {}

  get ep(): string {
    return this.runtime.ep;
  }

  static async create(options: ScorerOptions): Promise<ClipScorer> {
    const spec = KIND_SPECS[options.kind];
    if (spec.imageOnly && !options.head) throw new Error(`${options.kind} needs --head (the MLP weights)`);
    if (!spec.imageOnly && !options.vocab)
      throw new Error(`${options.kind} needs --vocab (bpe_simple_vocab_16e6.txt.gz or a tokenizer folder)`);
    const source = await openCheckpoint(options);
    const { checkpoint, resolved } = source;
    const ownedWorkDir = options.workDir ? undefined : await mkdtemp(path.join(os.tmpdir(), 'hps-score-'));
    let host: SessionHost | undefined;
    try {
      const model = ClipModel.fromTensors(checkpoint.tensors, {
        activation: resolved.activation ?? spec.activation,
        heads: { convention: spec.heads, visionHeads: resolved.visionHeads, textHeads: resolved.textHeads },
      });
      // transformers checkpoints come with HF's processor: CLIPTokenizerFast (whitespace + lowercase, no HTML
      // unescaping: the 'transformers-ftfy' cleaning) and CLIPImageProcessor (floor crop).
      const hf = model.weights.layout === 'hf';
      const tokenizer =
        options.vocab && !spec.imageOnly
          ? await ClipTokenizer.load(options.vocab, { cleaning: hf ? 'transformers-ftfy' : 'openai' })
          : undefined;
      const preprocess: PreprocessMode = hf && options.kind === 'clip' ? 'pickscore' : spec.preprocess;
      if (model.config.vision.imageSize !== IMAGE_SIZE)
        throw new Error(
          `the image tower takes ${model.config.vision.imageSize} px images; scoring preprocesses to ${IMAGE_SIZE}`,
        );
      const ep = options.ep ?? 'cpu';
      const runtime: Runtime = {
        ep,
        precision: options.precision ?? precisionFor(ep),
        fusedAttention: options.fusedAttention,
        host: (host = hostFor(options, options.workDir ?? ownedWorkDir!)),
      };
      const vision = await openVision(model, runtime, options.onWarning);
      const headFile = options.head;
      const head = headFile ? await openHead(headFile, model.config.embedDim, runtime) : undefined;
      const id =
        source.id ?? (await modelIdentity(options.kind, [resolved.file!, ...(headFile ? [headFile] : [])]));
      const logitScale = (await model.logitScale()) ?? 1;
      return new ClipScorer(
        options.kind,
        id,
        spec,
        preprocess,
        model,
        checkpoint,
        runtime,
        vision,
        head,
        tokenizer,
        logitScale,
        options.cache ?? new EmbeddingCache(),
        ownedWorkDir,
      );
    } catch (error) {
      await host?.close();
      await checkpoint.close();
      if (ownedWorkDir) await rm(ownedWorkDir, { recursive: true, force: true });
      throw error;
    }
  }

  async encodeImages(images: readonly ImageInput[], options: ScoreOptions = {}): Promise<ImageEncoding[]> {
    const results = new Array<ImageEncoding>(images.length);
    const progress = { done: 0, total: images.length, cached: 0, failed: 0 };
    const report = () => options.onProgress?.({ ...progress });
    const settle = (s: Settled) => {
      if ('error' in s) {
        results[s.index] = { image: s.image, error: s.error };
        progress.failed++;
      } else {
        results[s.index] = { image: s.image, hash: s.hash, features: s.cached, cached: true };
        progress.cached++;
      }
      progress.done++;
      report();
    };
    const embed = this.model.config.embedDim;
    const batches = pixelBatches(images, {
      mode: this.preprocess,
      batchSize: Math.max(1, options.batchSize ?? 8),
      lookup: (hash) => this.cache.get(this.id, hash),
      settle,
      signal: options.signal,
    });
    for await (const batch of batches) {
      const features = await this.encodePixels(batch.pixels, batch.items.length, options.signal, true);
      batch.items.forEach((item, i) => {
        const f = features.slice(i * embed, (i + 1) * embed);
        this.cache.set(this.id, item.hash, f);
        results[item.index] = { image: item.image, hash: item.hash, features: f, cached: false };
      });
      progress.done += batch.items.length;
      report();
    }
    return results;
  }

  /** Image features [count, embed] of already preprocessed pixels [count, 3, 224, 224] (no cache). */
  async encodePixels(
    pixels: Float32Array,
    count: number,
    signal?: AbortSignal,
    transferPixels = false,
  ): Promise<Float32Array> {
    const feeds: TensorMap = {
      [IMAGE_INPUT]: { dtype: 'float32', data: pixels, dims: [count, 3, IMAGE_SIZE, IMAGE_SIZE] },
    };
    const out = await this.vision.run(feeds, { signal, transfer: transferPixels });
    return out[IMAGE_OUTPUT]!.data as Float32Array;
  }

  async encodeTexts(prompts: readonly string[]): Promise<Float32Array[]> {
    if (!this.tokenizer) throw new Error(`${this.kind} scores images alone: it has no text tower`);
    const missing = [...new Set(prompts.filter((p) => !this.textFeatures.has(p)))];
    if (missing.length) {
      this.textSession ??= this.model
        .buildGraph('text', storageFor(this.runtime.precision))
        .then((g) => this.runtime.host.open(g, this.runtime));
      const session = await this.textSession;
      const { contextLength } = this.model.config.text;
      const embed = this.model.config.embedDim;
      for (let start = 0; start < missing.length; start += TEXT_BATCH) {
        const chunk = missing.slice(start, start + TEXT_BATCH);
        const tokens = this.tokenizer.tokenize(chunk, { contextLength, pad: 'zero' });
        const feeds: TensorMap = {
          [TOKENS_INPUT]: { dtype: 'int32', data: tokens, dims: [chunk.length, contextLength] },
          [EOT_INPUT]: { dtype: 'int32', data: eotIndices(tokens, contextLength), dims: [chunk.length] },
        };
        const features = (await session.run(feeds))[TEXT_OUTPUT]!.data as Float32Array;
        chunk.forEach((p, i) => this.textFeatures.set(p, features.slice(i * embed, (i + 1) * embed)));
      }
    }
    return prompts.map((p) => this.textFeatures.get(p)!);
  }

  async score(
    images: readonly ImageInput[],
    prompts: readonly string[],
    options: ScoreOptions = {},
  ): Promise<ScoreRow[]> {
    if (!this.spec.imageOnly && prompts.length === 0)
      throw new Error(`${this.kind} needs at least one prompt`);
    const texts = this.spec.imageOnly ? [] : (await this.encodeTexts(prompts)).map(normalized);
    const encoded = await this.encodeImages(images, options);
    if (this.head) return this.aestheticRows(encoded);
    const ok = encoded.filter((e) => e.features);
    const cosines = ok.map((e) => {
      const v = normalized(e.features!);
      return texts.map((t) => dot(v, t));
    });
    const probabilities =
      this.kind === 'pickscore' ? this.pickProbabilities(cosines, prompts.length) : undefined;
    const rows: ScoreRow[] = [];
    let row = 0;
    for (const e of encoded) {
      if (!e.features) {
        rows.push({ image: e.image, error: e.error ?? 'not encoded' });
        continue;
      }
      const own = cosines[row]!;
      const probs = probabilities?.[row];
      row++;
      prompts.forEach((prompt, j) => {
        const cosine = own[j]!;
        const score = this.spec.scale(cosine, this.logitScale);
        rows.push(
          probs
            ? { image: e.image, prompt, cosine, score, probability: probs[j]! }
            : { image: e.image, prompt, cosine, score },
        );
      });
    }
    return rows;
  }

  /** Softmax of exp(logit_scale)·cosine over the images of each prompt: [image][prompt]. */
  private pickProbabilities(cosines: readonly number[][], promptCount: number): number[][] {
    const out = cosines.map(() => new Array<number>(promptCount).fill(0));
    for (let j = 0; j < promptCount; j++) {
      const column = softmax(cosines.map((c) => this.logitScale * c[j]!));
      column.forEach((p, i) => (out[i]![j] = p));
    }
    return out;
  }

  private async aestheticRows(encoded: readonly ImageEncoding[]): Promise<ScoreRow[]> {
    const ok = encoded.filter((e) => e.features);
    const embed = this.model.config.embedDim;
    const scores = new Map<ImageEncoding, number>();
    if (ok.length) {
      const data = new Float32Array(ok.length * embed);
      ok.forEach((e, i) => data.set(e.features!, i * embed));
      const out = await this.head!.run({
        [EMBEDDING_INPUT]: { dtype: 'float32', data, dims: [ok.length, embed] },
      });
      const values = out[AESTHETIC_OUTPUT]!.data as Float32Array;
      ok.forEach((e, i) => scores.set(e, values[i]!));
    }
    return encoded.map((e) =>
      e.features
        ? { image: e.image, score: scores.get(e)! }
        : { image: e.image, error: e.error ?? 'not encoded' },
    );
  }

  async close(): Promise<void> {
    const text = this.textSession ? await this.textSession.catch(() => undefined) : undefined;
    await Promise.all([this.vision.release(), this.head?.release(), text?.release()]);
    await this.runtime.host.close();
    await this.checkpoint.close();
    if (this.ownedWorkDir) await rm(this.ownedWorkDir, { recursive: true, force: true });
  }
}

function hostFor(options: ScorerOptions, workDir: string): SessionHost {
  if (options.sessions) return new InThreadHost(options.sessions, workDir, false);
  if (options.inThread) return new InThreadHost(new SessionCache({ maxIdleSessions: 4 }), workDir, true);
  return new WorkerHost(workDir);
}

async function openCheckpoint(options: ScorerOptions) {
  if (typeof options.model !== 'string') {
    const checkpoint = { tensors: options.model.tensors, close: () => Promise.resolve() };
    return {
      checkpoint,
      resolved: {} as Partial<ResolvedCheckpoint>,
      id: `${options.kind}:${options.model.id}`,
    };
  }
  const resolved = await resolveCheckpoint(options.model);
  return {
    checkpoint: await loadStateDict(resolved.file),
    resolved: resolved as Partial<ResolvedCheckpoint>,
    id: undefined,
  };
}

async function openVision(
  model: ClipModel,
  runtime: Runtime,
  onWarning?: (message: string) => void,
): Promise<TowerSession> {
  try {
    return await runtime.host.open(await model.buildGraph('vision', storageFor(runtime.precision)), runtime);
  } catch (error) {
    if (runtime.ep === 'cpu') throw error;
    onWarning?.(
      `${runtime.ep} could not run the model (${(error as Error).message.split('\n')[0]}); using cpu`,
    );
    runtime.ep = 'cpu';
    runtime.precision = 'fp32';
    return runtime.host.open(await model.buildGraph('vision', storageFor(runtime.precision)), runtime);
  }
}

async function openHead(file: string, embedDim: number, runtime: Runtime): Promise<TowerSession> {
  const head = await loadStateDict(file);
  try {
    const width = aestheticInputWidth(head.tensors);
    if (width !== embedDim)
      throw new Error(`the aesthetic head takes ${width}-wide embeddings, the CLIP model gives ${embedDim}`);
    return await runtime.host.open(
      await buildAestheticGraph(head.tensors, storageFor(runtime.precision)),
      runtime,
    );
  } finally {
    await head.close();
  }
}
