// The engine: a typed tensor-graph IR with reverse-mode autodiff, lowered to ONNX and run on onnxruntime.
//
// Build a graph (model code reads like PyTorch):
//   const g = new Graph('clip-text');
//   const tokens = g.input('tokens', ['batch', 77], { dtype: 'i32' });        // symbolic batch
//   const emb = g.param('token_embedding.weight', f16Data, { shape: [49408, 768] }); // frozen → initializer
//   const lora = g.param('lora.A', a0, { shape: [4, 768], trainable: true });        // trainable → graph input
//   let x = g.gather(emb, tokens).add(pos);
//   x = g.layerNorm(x, w, b, 1e-5);                 // LayerNormalization (opset 17+)
//   const h = g.linear(x, wq, bq).reshape([0, 77, 12, 64]).transpose([0, 2, 1, 3]);
//   const o = g.attention(q, k, v, { mask });        // softmax(q·kᵀ/√d + mask)·v
//   g.output('features', x);
// Ops: g.add/sub/mul/div/pow (numbers lift to scalars), neg/abs/sqrt/exp/log/sin/cos/sigmoid/tanh/erf/relu/clip,
//   gelu (erf form), quickGelu (x·σ(1.702x)), silu, softmax, layerNorm, groupNorm, matmul (batched,
//   broadcasting), gemm, linear (PyTorch [out, in] weight), conv (stride/pad/dilation/groups), upsample
//   (nearest ×s), reshape (0 copies, -1 infers), reshapeLike, transpose, slice, split, concat, gather,
//   unsqueeze, squeeze, expand, expandLike, pad, sum/mean/max, logSoftmax (+ sumAll/meanAll), cast, where,
//   equal/greater/less. Tensors have fluent forms: x.add(y).mul(2).reshape([...]).
//   Every op is one OpDef in ops/ (shape rule, ONNX lowering, gradient rule); OpType is the union of their names.
//
// Train: one model returns the loss, any named forward outputs and grad/<input> per trainable input:
//   addTrainingOutputs(g, loss);                     // or gradients(g, loss, [tensors]) for custom use
//
// Lower: Graph → ONNX (opset 18, IR 8) → ModelArtifact for the runtime's session cache:
//   const artifact = lower(g, { ep: 'webgpu', precision: 'fp16' });  // all weights inline
//   const lowered = lowerGraph(g, opts); await writeArtifact(lowered, dir); // large/lazy weights → model.onnx.data
// Precision: ComputePrecision 'fp32' (fp16 weights are Cast to fp32) or 'fp16' (compute in fp16; softmax,
//   LogSoftmax, LayerNorm and GroupNorm run in fp32 between casts); lowering also takes 'fp64' (gradient checks
//   on CPU). Graph inputs and outputs stay float32 under fp32/fp16. Weights come as WeightStorage 'f32' | 'f16'.
//   LowerOptions defaults to 'fp32'. The hash covers graph, weights (bytes or lazy keys), EP and precision.
// Sessions: runtime/graph-session.ts is the one way from a Graph to a session, with the per-EP policy
//   (precisionFor, storageFor, fusedAttentionFor, the inline limit): openGraphSession(graph, options).
// EP-aware lowerings: attention → com.microsoft.MultiHeadAttention off cpu (fusedAttention), LogSoftmax
//   decomposed off cpu (WebGPU lacks it), GroupNorm as Reshape + InstanceNormalization + Reshape, nearest
//   upsample as Reshape/Expand under fp64 (no double Resize on CPU).
// Symbolic dims: use 0 in reshape targets to copy them; reshapeLike/expandLike take a runtime shape from a
//   reference tensor. Keep integer indices i32 (WebGPU has no int64 kernels; int64 shape constants are fine).
export {
  Graph,
  Tensor,
  type ParamData,
  type LazyParamData,
  type WeightStorage,
  type ConstData,
  type InputOptions,
  type ParamOptions,
} from './ir/graph';
export type { AttentionOptions, ConvOptions, GemmOptions, Operand } from './ir/builder';
export { type DType, type Dim, type Shape, broadcastShapes } from './ir/shape';
export {
  getOp,
  type OpDef,
  type OpType,
  type LowerContext,
  type Precision,
  type ComputePrecision,
} from './ops';
export { addTrainingOutputs, gradients, type TrainingOutputs } from './autodiff';
export {
  lower,
  lowerGraph,
  toArtifact,
  writeArtifact,
  OPSET,
  IR_VERSION,
  type LowerOptions,
  type LoweredModel,
} from './onnx/lower';
export { toHalfArray, toHalfBits, fromHalfBits } from './onnx/half';
export type { ModelArtifact } from './onnx/artifact';
