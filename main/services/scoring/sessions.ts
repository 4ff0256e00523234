// Engine graphs → onnxruntime sessions for the scorers, under the engine's precision policy: float32 on
// cpu; fp16 weights with fp32 softmax/LayerNorm islands on GPU EPs. Models whose weights pass the inline
// limit (the ViT-H/14 image tower is 2.5 GB in float32) are written as model.onnx + external data.
import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Graph } from '../../engine/ir/graph';
import type { ModelArtifact } from '../../engine/onnx/artifact';
import { lowerGraph, toArtifact, writeArtifact, type LoweredModel } from '../../engine/onnx/lower';
import type { EngineSession, ExecutionProvider, SessionCache } from '../../engine/runtime';
import type { WeightStorage } from '../../models/clip';

export type ComputePrecision = 'fp32' | 'fp16';

export const GPU_EPS: readonly ExecutionProvider[] = ['webgpu', 'cuda', 'dml', 'coreml'];

export function defaultPrecision(ep: ExecutionProvider): ComputePrecision {
  return ep === 'cpu' ? 'fp32' : 'fp16';
}

export function storageFor(precision: ComputePrecision): WeightStorage {
  return precision === 'fp16' ? 'f16' : 'f32';
}

/** Inline weights up to this size; protobuf caps a whole model at 2 GB. */
const INLINE_LIMIT = 512 * 2 ** 20;

export interface OpenOptions {
  ep: ExecutionProvider;
  precision: ComputePrecision;
  sessions: SessionCache;
  /** Where models with external data are written (one folder per artifact hash). */
  workDir: string;
  /** com.microsoft.MultiHeadAttention lowering; default: the engine's choice, except off on webgpu (see below). */
  fusedAttention?: boolean;
}

/**
 * WebGPU's fused MultiHeadAttention (onnxruntime-node 1.30, lavapipe) misses the clip fixtures: relative error
 * 9e-4 on image and 5e-2 on (causally masked) text features in fp32, against 3e-7 and 7e-7 unfused.
 */
function fusedAttentionFor(options: OpenOptions): boolean | undefined {
  return options.fusedAttention ?? (options.ep === 'webgpu' ? false : undefined);
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

async function writeExternal(lowered: LoweredModel, workDir: string): Promise<ModelArtifact> {
  const dir = path.join(workDir, lowered.hash);
  const modelPath = path.join(dir, 'model.onnx');
  if (await exists(modelPath)) return { hash: lowered.hash, source: { kind: 'file', path: modelPath }, inputs: lowered.inputs, outputs: lowered.outputs };
  await mkdir(dir, { recursive: true });
  return writeArtifact(lowered, dir);
}

/** Lowers the graph for the EP and opens (or reuses) its session; no silent fallback to another EP. */
export async function openGraphSession(graph: Graph, options: OpenOptions): Promise<EngineSession> {
  const lowered = lowerGraph(graph, { ep: options.ep, precision: options.precision, fusedAttention: fusedAttentionFor(options), inlineLimitBytes: INLINE_LIMIT });
  const artifact = lowered.external.length ? await writeExternal(lowered, options.workDir) : toArtifact(lowered);
  return options.sessions.get(
    { hash: artifact.hash, ep: options.ep, fallback: [], precision: options.precision === 'fp16' ? 'f16' : 'f32', profilePlacement: false },
    artifact,
  );
}
