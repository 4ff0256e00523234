// The engine runtime: ONNX artifacts → onnxruntime sessions.
//
//   const cache = new SessionCache({ cacheDir: path.join(dataDir, 'cache'), maxIdleSessions: 4 });
//   const session = await cache.get(
//     { hash: artifact.hash, ep: 'webgpu', fallback: ['cpu'], precision: 'fp32' },
//     () => lowerMyGraph(),                      // called only when neither memory nor disk cache has it
//   );
//   const out = await session.run({ x: { dtype: 'float32', data, dims: [1, 3, 224, 224] } }, { signal });
//   session.report();  // { ep: 'webgpu', attempts, placement, fallbackNodes: [{ name, opType }], nodesByProvider, ... }
//   await session.release();                     // once per get(): back to the cache (LRU keeps maxIdleSessions idle)
//
// From an engine Graph, under the per-EP policy (precision, attention lowering, external data under workDir):
//   const session = await openGraphSession(graph, { ep, precision: precisionFor(ep), sessions: cache, workDir });
//
// Off the caller's thread (Electron main, HTTP server): the same calls through a worker.
//   const worker = new RuntimeWorker({ cacheDir });
//   const remote = await worker.open(request, artifactOrFactory);
//   await remote.run(feeds, { signal, transfer: true }); await remote.report(); await remote.release();
//   await worker.close();
//
// Notes
// - Cache key: (artifact hash, requested EP, precision). Models given as bytes are persisted under
//   <cacheDir>/sessions/<hash>.<precision>.onnx; file artifacts (external data) are loaded from their path.
// - EP fallback: requested, then `fallback` (default webgpu, cpu); report().attempts says why an EP was refused.
// - Node placement comes from ORT's profiler during the first run (placement: 'pending' before it).
// - Cancellation: onnxruntime-node 1.30 has no RunOptions.terminate, so an abort drops a queued run and, for a
//   running one, rejects at once with an AbortError and discards the result when ORT finishes.
// - optimizedModelCache: true also caches ORT's optimized graph per EP (cpu creation about 2x faster, webgpu
//   little; a second copy of the weights on disk): see bench/engine/RESULTS.md.
// - The worker thread starts from worker-entry.mjs, which registers tsx to load the TypeScript sources; a
//   bundled build must give the worker its own bundled entry.
// - Tensors are plain typed arrays: float32 Float32Array, float16 Uint16Array (raw halves), int32 Int32Array,
//   int64 BigInt64Array, bool/uint8 Uint8Array.
export {
  SessionCache,
  sessionKey,
  type SessionRequest,
  type SessionCacheOptions,
  type ArtifactSource,
} from './cache';
export {
  EngineSession,
  type RuntimeReport,
  type RunOptions,
  type ValueInfo,
  type Precision,
} from './session';
export {
  INLINE_LIMIT_BYTES,
  fusedAttentionFor,
  graphArtifact,
  graphSessionRequest,
  openGraphSession,
  precisionFor,
  storageFor,
  type ComputePrecision,
  type GraphSessionOptions,
  type GraphTarget,
} from './graph-session';
export { RuntimeWorker, RemoteSession, type WorkerRunOptions } from './worker';
export { DEFAULT_FALLBACK, fallbackOrder } from './create';
export { abortError } from './run-queue';
export { parseProfile, type NodePlacement } from './profile';
export { checkTensor, type TensorData, type TensorDtype, type TensorMap } from './tensors';
export { probeExecutionProvider, probeExecutionProviders, tinyAddModel, type ProbeResult } from './probe';
/** Sessions are asked for by the contract's EP names. */
export type { ExecutionProvider } from '../../contract/names';
