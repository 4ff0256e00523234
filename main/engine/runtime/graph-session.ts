// The one way from an engine Graph to an onnxruntime session, under one execution-provider policy: precision,
// attention lowering and weight placement per EP. Weights past the inline limit (and every lazily read weight)
// are written once per graph hash as <workDir>/<hash>/model.onnx + model.onnx.data, the on-disk graph cache.
import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { ExecutionProvider } from '../../contract/names';
import type { Graph, WeightStorage } from '../ir/graph';
import type { ModelArtifact } from '../onnx/artifact';
import { lowerGraph, toArtifact, writeArtifact } from '../onnx/lower';
import type { ComputePrecision } from '../ops/types';
import type { SessionCache, SessionRequest } from './cache';
import type { EngineSession } from './session';

export type { ComputePrecision };

/**
 * In-memory weights are inlined up to this total, so small graphs never touch the disk; the rest goes to
 * external data, which ORT maps (page-aligned) instead of copying and a RuntimeWorker opens by path instead of
 * receiving posted bytes: ViT-L/14's preference-training prefixes peak 0.9 GB lower than with 512 MiB inline.
 * Lazily read weights (every SD component) are always external.
 */
export const INLINE_LIMIT_BYTES = 64 * 2 ** 20;

/** fp16 (softmax and normalisations in fp32) on GPU EPs; fp32 on cpu (fp16 weights widened once at load). */
export function precisionFor(ep: ExecutionProvider): ComputePrecision {
  return ep === 'cpu' ? 'fp32' : 'fp16';
}

/** How weights reach a graph lowered for `precision`: IEEE halves under fp16, float32 otherwise. */
export function storageFor(precision: ComputePrecision): WeightStorage {
  return precision === 'fp16' ? 'f16' : 'f32';
}

/**
 * com.microsoft.MultiHeadAttention on cuda, dml and coreml. Not on webgpu: ORT 1.30's kernel (lavapipe) is off
 * by 5e-3 relative on the tiny UNet and 5e-2 on causally masked CLIP text features even in fp32 (unfused: 5e-6
 * and 7e-7), and compiles slowly. Not on cpu: fused was no faster on the ViT-L/14 tower and peaked 0.8 GB
 * higher (bench/score).
 */
export function fusedAttentionFor(ep: ExecutionProvider): boolean {
  return ep !== 'cpu' && ep !== 'webgpu';
}

/** Where and how a graph runs: its lowering and the session's identity follow from these. */
export interface GraphTarget {
  ep: ExecutionProvider;
  precision: ComputePrecision;
  /** Override fusedAttentionFor(ep) (benchmarks, accuracy checks). */
  fusedAttention?: boolean;
}

export interface GraphSessionOptions extends GraphTarget {
  sessions: SessionCache;
  /** Folder of lowered models with external weights, one subfolder per graph hash. */
  workDir: string;
  intraOpNumThreads?: number;
  /** ORT's CPU memory arena (default on; training steps run without it, see CreateOptions.cpuMemArena). */
  cpuMemArena?: boolean;
}

/** The graph lowered for `target`: in memory if every weight is inline, else model.onnx under workDir/<hash>. */
export async function graphArtifact(
  graph: Graph,
  target: GraphTarget,
  workDir: string,
): Promise<ModelArtifact> {
  const lowered = lowerGraph(graph, {
    ep: target.ep,
    precision: target.precision,
    fusedAttention: target.fusedAttention ?? fusedAttentionFor(target.ep),
    inlineLimitBytes: INLINE_LIMIT_BYTES,
  });
  if (lowered.external.length === 0) return toArtifact(lowered);
  const dir = path.join(workDir, lowered.hash);
  const modelPath = path.join(dir, 'model.onnx');
  // The hash covers the weights' bytes or identities, and model.onnx is renamed into place after its data.
  if (await isFile(modelPath))
    return {
      hash: lowered.hash,
      source: { kind: 'file', path: modelPath },
      inputs: lowered.inputs,
      outputs: lowered.outputs,
    };
  await mkdir(dir, { recursive: true });
  return writeArtifact(lowered, dir);
}

/** The runtime request for an artifact of `target`; no silent fallback: callers decide (and say) when to retry. */
export function graphSessionRequest(
  artifact: ModelArtifact,
  options: GraphTarget & Pick<GraphSessionOptions, 'intraOpNumThreads' | 'cpuMemArena'>,
): SessionRequest {
  return {
    hash: artifact.hash,
    ep: options.ep,
    fallback: [],
    precision: options.precision,
    profilePlacement: false,
    intraOpNumThreads: options.intraOpNumThreads,
    cpuMemArena: options.cpuMemArena,
  };
}

/** Opens (or reuses: same hash, EP and precision → the same session object) the graph's session. */
export async function openGraphSession(graph: Graph, options: GraphSessionOptions): Promise<EngineSession> {
  const artifact = await graphArtifact(graph, options, options.workDir);
  return options.sessions.get(graphSessionRequest(artifact, options), artifact);
}

async function isFile(file: string): Promise<boolean> {
  return stat(file).then(
    (s) => s.isFile(),
    () => false,
  );
}
