// Messages between RuntimeWorker (caller's thread) and the worker thread that owns the ORT sessions.
import type { ModelArtifact } from '../onnx/artifact';
import type { SessionRequest } from './cache';
import type { RuntimeReport, ValueInfo } from './session';
import type { TensorMap } from './tensors';

export type WorkerRequest =
  | { type: 'open'; id: number; request: SessionRequest; artifact?: ModelArtifact }
  | { type: 'run'; id: number; handle: number; feeds: TensorMap; outputs?: readonly string[] }
  | { type: 'cancel'; runId: number }
  | { type: 'report'; id: number; handle: number }
  | { type: 'release'; id: number; handle: number }
  | { type: 'close'; id: number };

export interface OpenedSession {
  handle: number;
  inputs: readonly ValueInfo[];
  outputs: readonly ValueInfo[];
  report: RuntimeReport;
}

export type WorkerResult = OpenedSession | { missing: true } | TensorMap | RuntimeReport | null;

export type WorkerReply =
  | { id: number; ok: true; value: WorkerResult }
  | { id: number; ok: false; error: { name: string; message: string } };
