// The models side of the API: the ModelStore (catalog downloads) and local imports, with downloads run as
// jobs that emit `model.progress`, and the EP each model would run on from the doctor's probe.
import { statfs } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import {
  DEFAULT_FALLBACK,
  probeExecutionProviders,
  type ExecutionProvider,
  type ProbeResult,
} from '../engine/runtime';
import type { JobContext, JobRegistry } from '../services/jobs';
import {
  findEntry,
  ModelStore,
  type Catalog,
  type CatalogEntry,
  type ModelDownloadProgress,
} from '../services/model-store';
import {
  detectCheckpoint,
  UnsupportedCheckpointError,
  type DetectedCheckpoint,
} from '../services/model-store/detect';
import { bytesUnder, LocalModels } from '../services/model-store/local-models';
import type { CallOutput, EventPayload } from '../contract';
import { ApiError } from '../contract/errors';
import type { EventBus } from './event-bus';

type Progress = EventPayload<'model.progress'>;
type ModelEp = CallOutput<'models.catalog'>['models'][number]['ep'];

/** GPU EPs native to a platform first, then the runtime's own fallback chain (webgpu, cpu). */
export const EP_PREFERENCE: readonly ExecutionProvider[] = [
  ...new Set<ExecutionProvider>(['cuda', 'dml', 'coreml', ...DEFAULT_FALLBACK, 'cpu']),
];

/** Which catalog layout a detected single-file checkpoint can stand in for. */
const LAYOUT_OF_KIND: Partial<
  Record<DetectedCheckpoint['kind'], CatalogEntry['architecture']['weightsLayout']>
> = {
  'openai-clip': 'openai-clip-state-dict',
  'open-clip': 'open-clip-state-dict',
  'aesthetic-mlp': 'aesthetic-mlp',
  'sd-single-file': 'ldm-single-file',
};

interface RunningDownload {
  jobId: string;
  done: Promise<unknown>;
  /** The job's last progress, so a pause can leave a message in the Jobs panel. */
  fraction: number;
  job?: JobContext;
  /** Set by pause / cancel, so the job's end is reported as what the user asked for. */
  stoppedAs?: 'paused' | 'cancelled';
}

export interface ModelManagerOptions {
  /** The user data folder; models live in `<dataDir>/models`. */
  dataDir: string;
  jobs: JobRegistry;
  events: EventBus;
  catalog?: Catalog;
  /** Injectable for tests (the doctor probe). */
  probe?: () => Promise<ProbeResult[]>;
}

export class ModelManager {
  readonly store: ModelStore;
  readonly local: LocalModels;
  private readonly running = new Map<string, RunningDownload>();
  private readonly latest = new Map<string, Progress>();
  private probed: Promise<ProbeResult[]> | undefined;

  constructor(private readonly options: ModelManagerOptions) {
    const root = join(options.dataDir, 'models');
    this.store = new ModelStore({ root, catalog: options.catalog });
    this.local = new LocalModels(root);
  }

  get root(): string {
    return this.store.root;
  }

  async catalog(): Promise<CallOutput<'models.catalog'>> {
    const [statuses, local, diskUsage] = await Promise.all([
      this.store.list(),
      this.local.list(),
      this.store.diskUsage(),
    ]);
    const models = await Promise.all(
      statuses.map(async (status) => {
        const entry = findEntry(this.store.catalog, status.id);
        return {
          id: entry.id,
          name: entry.name,
          description: entry.description,
          purpose: entry.purpose,
          scorer: entry.scorer,
          architecture: describeArchitecture(entry),
          homepage: entry.homepage,
          license: entry.license,
          requires: entry.requires,
          state: status.state,
          bytesOnDisk: status.bytesOnDisk,
          downloadSize: status.downloadSize,
          sizeIsEstimate: status.sizeIsEstimate,
          files: status.files,
          manualDownload: entry.manualDownload,
          progress: status.state === 'downloading' ? (this.latest.get(entry.id) ?? null) : null,
          ep: await this.epFor(entry.purpose === 'tokenizer' ? null : entry.purpose),
        };
      }),
    );
    const locals = await Promise.all(
      local.map(async (model) => ({
        ...model,
        bytesOnDisk: model.mode === 'copied' ? await bytesUnder(model.path) : 0,
        ep: await this.epFor(model.detected.kind.startsWith('lora') ? 'lora' : 'model'),
      })),
    );
    return { root: this.root, models, local: locals, diskUsage };
  }

  /** Starts (or resumes) a download job; `model.progress` reports it. */
  download(id: string): { jobId: string } {
    const entry = this.entry(id);
    if (this.running.has(entry.id)) throw new ApiError('bad_request', `${entry.name} is already downloading`);
    const running: RunningDownload = { jobId: '', done: Promise.resolve(), fraction: 0 };
    const { id: jobId, done } = this.options.jobs.start(
      { kind: 'model.download', title: `Download ${entry.name}` },
      (job) => {
        running.job = job;
        return this.store.download(entry.id, {
          signal: job.signal,
          onProgress: (progress) => {
            const event = this.progressEvent(progress, 'downloading');
            running.fraction = event.total > 0 ? event.bytes / event.total : 0;
            // The downloader reports once more as it stops; the pause / cancel message stays.
            if (!running.stoppedAs)
              job.progress(running.fraction, `${progress.file}: ${mib(event.bytes)} of ${mib(event.total)}`);
            this.emit(event);
          },
        });
      },
    );
    running.jobId = jobId;
    this.running.set(entry.id, running);
    running.done = done.then(
      () => this.finished(entry, 'installed'),
      (error: Error) =>
        this.finished(entry, running.stoppedAs ?? 'failed', running.stoppedAs ? undefined : error.message),
    );
    return { jobId };
  }

  async resume(id: string): Promise<{ jobId: string }> {
    const status = await this.store.status(this.entry(id).id);
    if (status.state !== 'partial')
      throw new ApiError('bad_request', `${id} has no paused download to resume (it is ${status.state})`);
    return this.download(id);
  }

  async pause(id: string): Promise<boolean> {
    return this.stop(this.entry(id).id, 'paused');
  }

  /** Shutdown: running downloads stop as paused, so their partial files resume on the next start. */
  async close(): Promise<void> {
    await Promise.all([...this.running.keys()].map((id) => this.stop(id, 'paused')));
  }

  async cancel(id: string): Promise<boolean> {
    const entry = this.entry(id);
    const stopped = await this.stop(entry.id, 'cancelled');
    const before = (await this.store.status(entry.id)).files.some((file) => file.partialBytes > 0);
    await this.store.cancel(entry.id);
    return stopped || before;
  }

  async remove(id: string): Promise<number> {
    if (id.startsWith('local-')) {
      if (!(await this.local.get(id))) throw new ApiError('not_found', `no local model "${id}"`);
      return this.local.remove(id);
    }
    const entry = this.entry(id);
    if (this.running.has(entry.id) || (await this.store.status(entry.id)).state === 'downloading')
      throw new ApiError('bad_request', `${entry.name} is downloading: cancel it first`);
    const freed = (await this.store.status(entry.id)).bytesOnDisk;
    await this.store.remove(entry.id);
    return freed;
  }

  async detect(path: string): Promise<CallOutput<'models.detect'>> {
    try {
      const detected = await detectCheckpoint(path);
      return {
        supported: true,
        detected,
        candidates: this.candidates(detected).map(({ id, name }) => ({ id, name })),
      };
    } catch (error) {
      if (error instanceof UnsupportedCheckpointError) return { supported: false, message: error.message };
      throw new ApiError('bad_request', (error as Error).message);
    }
  }

  /** Detects, then copies into the store (catalog model or local) or registers in place, as a job. */
  async import(input: {
    path: string;
    modelId?: string;
    mode: 'copy' | 'in-place';
    name?: string;
  }): Promise<CallOutput<'models.import'>> {
    const detection = await this.detect(input.path);
    if (!detection.supported) throw new ApiError('bad_request', detection.message);
    const { detected } = detection;
    const candidates = this.candidates(detected);
    if (input.modelId !== undefined && !candidates.some((entry) => entry.id === input.modelId)) {
      const fits = candidates.map((entry) => entry.id).join(', ') || 'none';
      throw new ApiError(
        'bad_request',
        `${detected.label} cannot be imported as ${input.modelId} (it fits: ${fits})`,
      );
    }
    const { done } = this.options.jobs.start(
      { kind: 'model.import', title: `Import ${detected.path}` },
      async (job) => {
        job.progress(0, 'identifying');
        const target =
          input.mode === 'in-place'
            ? undefined
            : (input.modelId ??
              (await this.identify(detected, candidates)) ??
              (candidates.length === 1 ? candidates[0]!.id : undefined));
        job.progress(0.1, 'copying');
        if (target) {
          const entry = this.entry(target);
          const result = await this.store.importFile(entry.id, entry.files[0]!.path, detected.path);
          return { detected, modelId: entry.id, localId: null, matchesCatalog: result.matchesCatalog };
        }
        const local = await this.local.add(
          detected,
          input.mode === 'copy' ? 'copied' : 'in-place',
          input.name,
        );
        return { detected, modelId: null, localId: local.id, matchesCatalog: null };
      },
    );
    return done.catch((error: Error) => {
      throw new ApiError('bad_request', `import of ${detected.path} failed: ${error.message}`);
    });
  }

  async diskUsage(): Promise<CallOutput<'models.diskUsage'>> {
    return { root: this.root, bytes: await this.store.diskUsage(), free: await freeBytesNear(this.root) };
  }

  /** Catalog models with one weights file of the same layout (where a single checkpoint can go). */
  private candidates(detected: DetectedCheckpoint): CatalogEntry[] {
    const layout = LAYOUT_OF_KIND[detected.kind];
    if (!layout || detected.format === 'folder') return [];
    return this.store.catalog.models.filter(
      (entry) => entry.architecture.weightsLayout === layout && entry.files.length === 1,
    );
  }

  /** The candidate whose published sha256 the file has, if any. */
  private async identify(
    detected: DetectedCheckpoint,
    candidates: CatalogEntry[],
  ): Promise<string | undefined> {
    if (candidates.length === 0) return undefined;
    const match = await this.store.identifyFile(detected.path);
    return match && candidates.some((entry) => entry.id === match.modelId) ? match.modelId : undefined;
  }

  private async stop(id: string, as: 'paused' | 'cancelled'): Promise<boolean> {
    const running = this.running.get(id);
    if (!running) return as === 'paused' ? this.store.pause(id) : false;
    running.stoppedAs = as;
    running.job?.progress(running.fraction, as === 'paused' ? 'paused: resume it from Models' : 'cancelled');
    this.options.jobs.cancel(running.jobId);
    await running.done;
    return true;
  }

  private async finished(entry: CatalogEntry, state: Progress['state'], error?: string): Promise<void> {
    this.running.delete(entry.id);
    const last = this.latest.get(entry.id);
    this.latest.delete(entry.id);
    const status = await this.store.status(entry.id).catch(() => undefined);
    this.emit({
      modelId: entry.id,
      state,
      bytes: state === 'cancelled' ? 0 : (status?.bytesOnDisk ?? last?.bytes ?? 0),
      total: status?.downloadSize ?? last?.total ?? 0,
      totalIsEstimate: status?.sizeIsEstimate ?? false,
      bytesPerSecond: 0,
      ...(error ? { error } : {}),
    });
  }

  private progressEvent(progress: ModelDownloadProgress, state: Progress['state']): Progress {
    return {
      modelId: progress.modelId,
      state,
      file: progress.file,
      bytes: progress.bytes,
      total: Math.max(progress.total, progress.bytes),
      totalIsEstimate: progress.totalIsEstimate,
      bytesPerSecond: progress.bytesPerSecond,
    };
  }

  private emit(event: Progress): void {
    if (event.state === 'downloading') this.latest.set(event.modelId, event);
    this.options.events.emit('model.progress', event);
  }

  private entry(id: string): CatalogEntry {
    try {
      return findEntry(this.store.catalog, id);
    } catch (error) {
      throw new ApiError('not_found', (error as Error).message);
    }
  }

  private async epFor(what: 'scorer' | 'generator' | 'lora' | 'model' | null): Promise<ModelEp> {
    if (what === null) return { preferred: null, order: [], note: 'tokenizer files: no ONNX graph to run' };
    if (what === 'lora')
      return { preferred: null, order: [], note: 'runs inside the SD model it is applied to' };
    this.probed ??= (this.options.probe ?? (() => probeExecutionProviders(EP_PREFERENCE)))();
    const results = await this.probed;
    const order = EP_PREFERENCE.filter((ep) => results.find((r) => r.ep === ep)?.ok);
    const preferred = order[0] ?? null;
    return {
      preferred,
      order,
      note: preferred
        ? `${preferred} (first working EP of ${EP_PREFERENCE.join(' → ')}; falls back along the list)`
        : 'no execution provider works on this machine (see Settings → Doctor)',
    };
  }
}

/** Free bytes on the volume of `path`, or of its nearest existing parent (the store may not exist yet). */
async function freeBytesNear(path: string): Promise<number | null> {
  for (let current = path; ; current = dirname(current)) {
    const stats = await statfs(current).catch(() => undefined);
    if (stats) return stats.bavail * stats.bsize;
    if (dirname(current) === current) return null;
  }
}

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

const VIT_NAMES: Record<number, string> = { 768: 'B', 1024: 'L', 1280: 'H', 1408: 'g', 1664: 'bigG' };

/** The catalog's architecture in a few words. */
export function describeArchitecture(entry: CatalogEntry): string {
  const arch = entry.architecture;
  const vision = arch.vision;
  const vit = vision ? ` ViT-${VIT_NAMES[vision.width] ?? vision.width}/${vision.patchSize ?? '?'}` : '';
  const act = arch.activation ? ` (${arch.activation === 'gelu' ? 'GELU' : 'QuickGELU'})` : '';
  const layout = arch.weightsLayout === 'hf-clip' ? ', transformers format' : '';
  switch (arch.family) {
    case 'openai-clip':
      return `OpenAI CLIP${vit}${act}${layout}`;
    case 'open-clip':
      return `open_clip CLIP${vit}${act}${layout}`;
    case 'aesthetic-mlp':
      return `MLP head${arch.details?.layers ? ` ${String(arch.details.layers).split(',')[0]}` : ''}`;
    case 'sd1':
      return `Stable Diffusion 1.x (${arch.weightsLayout === 'diffusers-folder' ? 'diffusers folder' : 'single file'})`;
    case 'clip-bpe':
      return 'CLIP BPE tokenizer merges';
  }
}
