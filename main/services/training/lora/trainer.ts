// The LoRA training run: data → cached latents and text states → one training session (UNet + LoRA inputs,
// loss, gradients) → AdamW steps in TypeScript with accumulation, clipping and an LR schedule; progress events,
// pause/cancel, atomic checkpoints, resume, a JSONL step log, a run record and the output LoRA file.
// Stages: prepare.ts (settings, record, data, encoders) → the training graph here → resume.ts → loop.ts →
// finish.ts, passing the run state of run-state.ts.
import {
  openGraphSession,
  precisionFor,
  storageFor,
  type ComputePrecision,
  type EngineSession,
} from '../../../engine/runtime';
import { loraAlpha, type LoraTrainingInput } from './config';
import { TrainingControl } from './control';
import { abandonRun, finishRun } from './finish';
import { buildLoraTrainingGraph, type LoraTrainingGraph } from './graph';
import { evaluationLoss, runLoop } from './loop';
import { encodeRun, openRun, prepareRun } from './prepare';
import { resumeOrStart } from './resume';
import type { EncodedRun, TrainingOptions, TrainingResult } from './run-state';

export interface TrainingJob {
  id: string;
  done: Promise<TrainingResult>;
  pause(): void;
  resume(): void;
  cancel(): void;
}

/** The UNet + LoRA graph of the run's recipe (loss and gradients), and the precision the EP computes it in. */
function trainingGraph(run: EncodedRun): { built: LoraTrainingGraph; precision: ComputePrecision } {
  const { config, model, latentSize } = run;
  run.emit({ phase: 'preparing', step: 0, totalSteps: config.steps, message: 'building the training graph' });
  const precision = precisionFor(config.ep);
  const objective =
    config.recipe === 'dpo'
      ? { kind: 'dpo' as const, beta: config.beta, pairs: 1 }
      : { kind: 'mse' as const };
  const built = buildLoraTrainingGraph(model.unet.weights, model.unet.config, {
    height: latentSize,
    width: latentSize,
    rank: config.rank,
    alpha: loraAlpha(config),
    storage: storageFor(precision),
    objective,
    gradientCheckpointing: config.gradientCheckpointing,
  });
  return { built, precision };
}

/** Runs a training to completion (or cancellation); see startTraining for the job form. */
export async function trainLora(
  input: LoraTrainingInput,
  options: TrainingOptions = {},
): Promise<TrainingResult> {
  const run = await openRun(input, options);
  const { base } = run;
  let session: EngineSession | undefined;
  try {
    const encoded = await encodeRun(await prepareRun(run));
    const { built, precision } = trainingGraph(encoded);
    session = await openGraphSession(built.graph, { ...base, precision, cpuMemArena: false });
    const training = await resumeOrStart(encoded, session, built.params, precision);
    const before = await evaluationLoss(training);
    return await finishRun(training, await runLoop(training), before);
  } catch (error) {
    return await abandonRun(run, error);
  } finally {
    await session?.release();
    if (!options.sessions) await base.sessions.clear();
    await run.model.close();
  }
}

/** Starts a run in the background: pause/resume between steps, cancel (checkpointed, resumable). */
export function startTraining(
  input: LoraTrainingInput,
  options: Omit<TrainingOptions, 'control'> = {},
): TrainingJob {
  const controller = new AbortController();
  options.signal?.addEventListener('abort', () => controller.abort(options.signal!.reason), { once: true });
  const control = new TrainingControl();
  const done = trainLora(input, { ...options, signal: controller.signal, control });
  return {
    id: `train-${Date.now().toString(36)}`,
    done,
    pause: () => control.pause(),
    resume: () => control.resume(),
    cancel: () => {
      control.resume();
      controller.abort(new DOMException('training cancelled', 'AbortError'));
    },
  };
}
