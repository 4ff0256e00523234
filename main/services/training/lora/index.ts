// LoRA fine-tuning of Stable Diffusion from labeled pairs: the HPS recipe (chosen under the prompt, rejected
// under "Weird image. " + prompt, epsilon-MSE) and Diffusion-DPO, on the engine's autodiff.
//   const job = startTraining({ recipe: 'hps', model, data: { pairs: 'pairs.jsonl' }, steps: 1000, out: 'x.safetensors' },
//     { onProgress: (e) => ui.update(e) });   // e: phase, step, totalSteps, loss, lr, gradNorm, stepsPerSecond, etaSeconds
//   job.pause(); job.resume(); job.cancel();  // cancel checkpoints; starting the same settings again resumes
//   const result = await job.done;            // { status, step, losses, evaluation?, output, runFile }
//   await listTrainingRuns(dir);              // run history (one JSON per run)
export {
  loraTrainingConfigSchema,
  parseTrainingConfig,
  type LoraTrainingConfig,
  type LoraTrainingInput,
} from './config';
export { startTraining, trainLora, type TrainingJob } from './trainer';
export type { TrainingOptions, TrainingProgress, TrainingResult } from './run-state';
export { TrainingControl } from './control';
export { listTrainingRuns, type TrainingRunRecord } from './history';
export {
  describeScorerPairs,
  noScoresMessage,
  readPairsJsonl,
  scorerPairs,
  type ScorerPairsReport,
  type TrainingPair,
} from './pairs';
export {
  buildLoraTrainingGraph,
  dpoLoss,
  loraParamNames,
  type LoraParamSpec,
  type LoraTrainingGraph,
  type Objective,
} from './graph';
