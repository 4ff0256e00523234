// The hand-off between graph lowering (engine/ir → ONNX) and the runtime (sessions).
import type { ValueInfoProto } from './proto';

export interface ModelArtifact {
  /** Content hash of the lowered graph and the identity of its weights: the session-cache key. */
  hash: string;
  /** The serialized model in memory, or a model.onnx on disk (external data files beside it). */
  source: { kind: 'bytes'; bytes: Uint8Array } | { kind: 'file'; path: string };
  inputs: readonly ValueInfoProto[];
  outputs: readonly ValueInfoProto[];
}
