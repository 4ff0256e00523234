// One ORT session: typed-array runs in a FIFO queue that honours AbortSignals, and a report of where it ran.
import type * as ort from 'onnxruntime-node';
import type { ExecutionProvider } from '../../contract/names';
import type { CreatedSession, OptimizedModelState } from './create';
import { discardProfile, takeProfile, type NodePlacement } from './profile';
import { RunQueue } from './run-queue';
import { checkTensor, fromOrtTensor, toOrtTensor, type TensorMap } from './tensors';

/** The engine's compute precision (ops/types.ts): the graph was lowered for it, so it keys the cache. */
export type { Precision } from '../ops/types';
import type { Precision } from '../ops/types';

export interface SessionIdentity {
  /** Artifact hash (the lowered graph and its weights). */
  hash: string;
  /** Compute precision the artifact was lowered for; part of the cache key. */
  precision: Precision;
  /** The EP asked for; the fallback order follows it. */
  requested: ExecutionProvider;
  order: readonly ExecutionProvider[];
}

export interface RuntimeReport extends SessionIdentity {
  /** The EP the session actually runs on. */
  ep: ExecutionProvider;
  /** EPs tried before `ep`, with ORT's reason for refusing. */
  attempts: { ep: ExecutionProvider; error: string }[];
  /**
   * 'pending' until the first run (placement is profiled there), 'unavailable' if profiling failed,
   * 'not-profiled' when the request turned profiling off, 'not-needed' on cpu (every node is on cpu).
   */
  placement: 'pending' | 'known' | 'unavailable' | 'not-profiled' | 'not-needed';
  /** Nodes ORT assigned to the CPU although the session runs on another EP. */
  fallbackNodes: { name: string; opType: string }[];
  nodesByProvider: Record<string, number>;
  /** Where the model came from: the artifact itself or the on-disk session cache. */
  source: 'artifact' | 'disk-cache';
  optimizedModel: OptimizedModelState;
  createMs: number;
  runs: number;
}

export interface ValueInfo {
  name: string;
  dtype?: string;
  shape?: readonly (number | string)[];
}

export interface RunOptions {
  signal?: AbortSignal;
  /** Names of the outputs to fetch (default: all). */
  outputs?: readonly string[];
}

export class EngineSession {
  readonly inputs: readonly ValueInfo[];
  readonly outputs: readonly ValueInfo[];
  private readonly queue = new RunQueue();
  private released = false;
  private readonly state: RuntimeReport;
  private profilePrefix: string | undefined;
  /** Set by an owner (the session cache) to intercept release(). */
  onRelease: (() => Promise<void>) | undefined;

  constructor(
    private readonly session: ort.InferenceSession,
    identity: SessionIdentity,
    created: Omit<CreatedSession, 'session'>,
    meta: { source: RuntimeReport['source']; createMs: number },
  ) {
    this.inputs = describe(session.inputMetadata);
    this.outputs = describe(session.outputMetadata);
    this.profilePrefix = created.profilePrefix;
    this.state = {
      ...identity,
      ep: created.ep,
      attempts: created.attempts,
      placement: created.profilePrefix ? 'pending' : created.ep === 'cpu' ? 'not-needed' : 'not-profiled',
      fallbackNodes: [],
      nodesByProvider: {},
      source: meta.source,
      optimizedModel: created.optimizedModel,
      createMs: meta.createMs,
      runs: 0,
    };
  }

  get isReleased(): boolean {
    return this.released;
  }

  report(): RuntimeReport {
    return structuredClone(this.state);
  }

  /** Runs the graph; queued behind earlier runs. An abort rejects at once with an AbortError, queued or running. */
  run(feeds: TensorMap, options: RunOptions = {}): Promise<TensorMap> {
    if (this.released) return Promise.reject(new Error('the session was released'));
    // ORT's node binding cannot interrupt a run in progress: an abort drops a queued run, and for a
    // running one rejects now and discards the result when ORT returns.
    return this.queue.enqueue(() => this.execute(feeds, options.outputs), options.signal);
  }

  /** Releases the session (or, when a cache owns it, gives this reference back to the cache). */
  async release(): Promise<void> {
    if (this.onRelease) return this.onRelease();
    await this.dispose();
  }

  /** Frees the ORT session after the running job; queued jobs are rejected. */
  async dispose(): Promise<void> {
    if (this.released) return;
    this.released = true;
    this.queue.rejectQueued(new Error('the session was released'));
    while (this.queue.busy) await new Promise((r) => setTimeout(r, 5));
    await this.discardProfile();
    await this.session.release();
  }

  private async execute(feeds: TensorMap, outputNames: readonly string[] | undefined): Promise<TensorMap> {
    const ortFeeds = this.toFeeds(feeds);
    const out = outputNames
      ? await this.session.run(ortFeeds, [...outputNames])
      : await this.session.run(ortFeeds);
    this.state.runs += 1;
    if (this.profilePrefix) await this.readPlacement();
    const result: TensorMap = {};
    for (const [name, value] of Object.entries(out)) result[name] = fromOrtTensor(name, value);
    return result;
  }

  private toFeeds(feeds: TensorMap): Record<string, ort.Tensor> {
    const known = new Set(this.session.inputNames);
    for (const name of Object.keys(feeds))
      if (!known.has(name)) throw new Error(`unknown input "${name}" (inputs: ${[...known].join(', ')})`);
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const info of this.inputs) {
      const t = feeds[info.name];
      if (!t) throw new Error(`missing input "${info.name}"`);
      checkTensor(info.name, t);
      if (info.dtype && info.dtype !== t.dtype)
        throw new Error(`input "${info.name}" must be ${info.dtype}, got ${t.dtype}`);
      ortFeeds[info.name] = toOrtTensor(info.name, t);
    }
    return ortFeeds;
  }

  /** Placement is static, so one profiled run suffices; profiling stops afterwards. */
  private async readPlacement(): Promise<void> {
    const prefix = this.profilePrefix!;
    this.profilePrefix = undefined;
    try {
      this.session.endProfiling();
      this.applyPlacement(await takeProfile(prefix));
    } catch {
      this.state.placement = 'unavailable';
    }
  }

  /** A session released before its first run would otherwise leave ORT's trace behind. */
  private async discardProfile(): Promise<void> {
    const prefix = this.profilePrefix;
    if (!prefix) return;
    this.profilePrefix = undefined;
    try {
      this.session.endProfiling();
    } finally {
      await discardProfile(prefix);
    }
  }

  private applyPlacement(nodes: readonly NodePlacement[]): void {
    const counts: Record<string, number> = {};
    for (const n of nodes) counts[n.provider] = (counts[n.provider] ?? 0) + 1;
    this.state.nodesByProvider = counts;
    // Memcpy nodes are ORT's own transfers between devices, not model nodes that fell back.
    this.state.fallbackNodes = nodes
      .filter((n) => n.provider === 'cpu' && !n.opType.startsWith('Memcpy'))
      .map(({ name, opType }) => ({ name, opType }));
    this.state.placement = 'known';
  }
}

function describe(metadata: readonly ort.InferenceSession.ValueMetadata[]): ValueInfo[] {
  return metadata.map((m) =>
    m.isTensor ? { name: m.name, dtype: m.type, shape: [...m.shape] } : { name: m.name },
  );
}
