// Engine graphs → onnxruntime sessions for the scorers, under the engine's precision policy: float32 on
// cpu; fp16 weights with fp32 softmax/LayerNorm islands on GPU EPs. Models whose weights pass the inline
// limit (the ViT-L/14 image tower is 1.2 GB in float32) are written as model.onnx + external data.
//
// onnxruntime-node's run() holds the calling thread until it returns, so the scorers run their sessions in a
// RuntimeWorker by default: the main thread decodes and preprocesses the next batch meanwhile.
import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Graph } from '../../engine/ir/graph';
import type { ModelArtifact } from '../../engine/onnx/artifact';
import {
  defaultPrecision as enginePrecision,
  lowerGraph,
  toArtifact,
  writeArtifact,
  type LoweredModel,
} from '../../engine/onnx/lower';
import {
  RuntimeWorker,
  type ExecutionProvider,
  type SessionCache,
  type SessionRequest,
  type TensorMap,
} from '../../engine/runtime';
import type { WeightStorage } from '../../models/clip';

export type ComputePrecision = 'fp32' | 'fp16';

export const GPU_EPS: readonly ExecutionProvider[] = ['webgpu', 'cuda', 'dml', 'coreml'];

/** The engine's policy: float32 on cpu, fp16 (fp32 softmax/normalisations) on GPU EPs. */
export function defaultPrecision(ep: ExecutionProvider): ComputePrecision {
  return enginePrecision(ep);
}

export function storageFor(precision: ComputePrecision): WeightStorage {
  return precision === 'fp16' ? 'f16' : 'f32';
}

export interface LowerSettings {
  ep: ExecutionProvider;
  precision: ComputePrecision;
  /** com.microsoft.MultiHeadAttention lowering; default: the engine's choice, except off on webgpu (see below). */
  fusedAttention?: boolean;
}

/** What the scorers need of a session, in this thread or in the worker. */
export interface TowerSession {
  run(feeds: TensorMap, options?: { signal?: AbortSignal; transfer?: boolean }): Promise<TensorMap>;
  release(): Promise<void>;
}

export interface SessionHost {
  open(graph: Graph, settings: LowerSettings): Promise<TowerSession>;
  close(): Promise<void>;
}

/**
 * WebGPU's fused MultiHeadAttention (onnxruntime-node 1.30, lavapipe) misses the clip fixtures: relative error
 * 9e-4 on image and 5e-2 on (causally masked) text features in fp32, against 3e-7 and 7e-7 unfused.
 */
function fusedAttentionFor(settings: LowerSettings): boolean | undefined {
  return settings.fusedAttention ?? (settings.ep === 'webgpu' ? false : undefined);
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

/** Lowers for the EP; weights past `inlineLimit` go to <workDir>/<hash>/model.onnx(.data), reused when present. */
async function artifactOf(
  graph: Graph,
  settings: LowerSettings,
  workDir: string,
  inlineLimit: number,
): Promise<ModelArtifact> {
  const lowered: LoweredModel = lowerGraph(graph, {
    ep: settings.ep,
    precision: settings.precision,
    fusedAttention: fusedAttentionFor(settings),
    inlineLimitBytes: inlineLimit,
  });
  if (!lowered.external.length) return toArtifact(lowered);
  const dir = path.join(workDir, lowered.hash);
  const modelPath = path.join(dir, 'model.onnx');
  if (await exists(modelPath))
    return {
      hash: lowered.hash,
      source: { kind: 'file', path: modelPath },
      inputs: lowered.inputs,
      outputs: lowered.outputs,
    };
  await mkdir(dir, { recursive: true });
  return writeArtifact(lowered, dir);
}

function request(artifact: ModelArtifact, settings: LowerSettings): SessionRequest {
  // No silent fallback to another EP: the scorer decides (and says) when to retry on cpu.
  return {
    hash: artifact.hash,
    ep: settings.ep,
    fallback: [],
    precision: settings.precision,
    profilePlacement: false,
  };
}

/** Sessions in the calling thread, from a (possibly shared) SessionCache. */
export class InThreadHost implements SessionHost {
  constructor(
    private readonly sessions: SessionCache,
    private readonly workDir: string,
    private readonly ownsCache: boolean,
  ) {}

  async open(graph: Graph, settings: LowerSettings): Promise<TowerSession> {
    const artifact = await artifactOf(graph, settings, this.workDir, 512 * 2 ** 20);
    return this.sessions.get(request(artifact, settings), artifact);
  }

  async close(): Promise<void> {
    if (this.ownsCache) await this.sessions.clear();
  }
}

/** Sessions on a RuntimeWorker thread; models over 64 MB travel as files rather than posted bytes. */
export class WorkerHost implements SessionHost {
  private readonly worker = new RuntimeWorker({ maxIdleSessions: 4 });

  constructor(private readonly workDir: string) {}

  async open(graph: Graph, settings: LowerSettings): Promise<TowerSession> {
    const artifact = await artifactOf(graph, settings, this.workDir, 64 * 2 ** 20);
    return this.worker.open(request(artifact, settings), artifact);
  }

  close(): Promise<void> {
    return this.worker.close();
  }
}
