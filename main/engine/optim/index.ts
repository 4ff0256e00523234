// Optimizers for training graphs run on onnxruntime: the graph returns the loss and gradients, these update
// the named float32 parameters in place between runs.
//
//   const opt = new AdamW({ lr: 1e-5, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 1e-2 });
//   const lrAt = cosineWithWarmup({ lr: 1e-5, warmupSteps: 100, totalSteps: 10_000 });
//   const acc = new GradientAccumulator();
//   for each micro-batch: acc.add(gradsFromOrt)
//   const grads = acc.result('average'); acc.reset();
//   const norm = clipGradNorm(grads, 1.0);       // global L2 norm before clipping
//   opt.lr = lrAt(step); opt.step(params, grads); // params: Record<string, Float32Array>, updated in place
//   checkpoint: opt.state() → { kind, hyper, steps, slots: { [param]: { expAvg, expAvgSq } } }; opt.load(state)
//
// Semantics follow torch.optim.AdamW / torch.optim.SGD / clip_grad_norm_ (see each file's header).
export { AdamW, type AdamWOptions } from './adamw';
export { SGD, type SGDOptions } from './sgd';
export { clipGradNorm, globalNorm, type ClipOptions } from './clip';
export { GradientAccumulator } from './accumulate';
export {
  constantSchedule,
  cosineWithWarmup,
  type LrSchedule,
  type ConstantScheduleOptions,
  type CosineScheduleOptions,
} from './schedule';
export type { OptimizerState, TensorSet } from './params';
