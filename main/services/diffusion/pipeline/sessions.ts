// Engine graphs → cached onnxruntime sessions. Weights are lazy, so lowering writes model.onnx + external
// data once per graph hash under workDir (the on-disk graph cache); the SessionCache keeps sessions in memory.
import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Graph } from '../../../engine/ir/graph';
import type { ModelArtifact } from '../../../engine/onnx/artifact';
import { lowerGraph, toArtifact, writeArtifact } from '../../../engine/onnx/lower';
import type { EngineSession, ExecutionProvider, SessionCache } from '../../../engine/runtime';

export type ComputePrecision = 'fp32' | 'fp16';

export interface GraphSessionOptions {
  ep: ExecutionProvider;
  precision: ComputePrecision;
  sessions: SessionCache;
  /** Folder of lowered models with external weights, one subfolder per graph hash. */
  workDir: string;
  intraOpNumThreads?: number;
  /** ORT's CPU memory arena (default on; training steps run without it, see CreateOptions.cpuMemArena). */
  cpuMemArena?: boolean;
  /** com.microsoft.MultiHeadAttention (default: on GPU EPs except webgpu, see fusedAttentionFor). */
  fusedAttention?: boolean;
}

/**
 * ORT 1.30's WebGPU MultiHeadAttention kernel is off by ~5e-3 relative even in fp32 (the unfused
 * MatMul/Softmax path: 5e-6 on the tiny UNet) and compiles slowly, so SD graphs keep attention unfused there.
 */
export function fusedAttentionFor(ep: ExecutionProvider): boolean {
  return ep !== 'cpu' && ep !== 'webgpu';
}

/** fp16 on GPU EPs, fp32 on cpu (the engine's per-EP policy). */
export function precisionFor(ep: ExecutionProvider): ComputePrecision {
  return ep === 'cpu' ? 'fp32' : 'fp16';
}

async function artifactOf(graph: Graph, options: GraphSessionOptions): Promise<ModelArtifact> {
  const lowered = lowerGraph(graph, {
    ep: options.ep,
    precision: options.precision,
    inlineLimitBytes: 0,
    fusedAttention: options.fusedAttention ?? fusedAttentionFor(options.ep),
  });
  if (lowered.external.length === 0) return toArtifact(lowered);
  const dir = path.join(options.workDir, lowered.hash);
  const modelPath = path.join(dir, 'model.onnx');
  const written = await stat(modelPath).then(
    () => true,
    () => false,
  );
  if (written)
    return {
      hash: lowered.hash,
      source: { kind: 'file', path: modelPath },
      inputs: lowered.inputs,
      outputs: lowered.outputs,
    };
  await mkdir(dir, { recursive: true });
  return writeArtifact(lowered, dir);
}

/** Opens (or reuses: same hash, EP and precision → the same session object) the graph's session. */
export async function openGraphSession(graph: Graph, options: GraphSessionOptions): Promise<EngineSession> {
  const artifact = await artifactOf(graph, options);
  return options.sessions.get(
    {
      hash: artifact.hash,
      ep: options.ep,
      fallback: [],
      precision: options.precision,
      profilePlacement: false,
      intraOpNumThreads: options.intraOpNumThreads,
      cpuMemArena: options.cpuMemArena,
    },
    artifact,
  );
}
