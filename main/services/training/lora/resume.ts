// Where the loop starts: seeded LoRA values and a fresh optimizer, or the latest checkpoint of the same loss
// curve (parameters, AdamW moments, losses, loss scale); the step log is cut back to that step.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { AdamW, constantSchedule, cosineWithWarmup, type LrSchedule } from '../../../engine/optim';
import type { ComputePrecision, EngineSession } from '../../../engine/runtime';
import { loadCheckpoint, type CheckpointState } from './checkpoint';
import { curveFingerprint, type LoraTrainingConfig } from './config';
import { evaluationBatches, initialParams } from './dataset';
import type { LoraParamSpec } from './graph';
import type { EncodedRun, LoopState, TrainingRun } from './run-state';

function learningRateSchedule(config: LoraTrainingConfig): LrSchedule {
  return config.schedule === 'cosine'
    ? cosineWithWarmup({ lr: config.lr, warmupSteps: config.warmupSteps, totalSteps: config.steps })
    : constantSchedule({ lr: config.lr, warmupSteps: config.warmupSteps });
}

/** The curve's settings, plus the step count when the schedule depends on it. */
function runFingerprint(config: LoraTrainingConfig): string {
  return curveFingerprint(config) + (config.schedule === 'cosine' ? `#${config.steps}` : '');
}

/** The latest checkpoint, when resuming is on and it lies on this run's curve. */
async function resumableCheckpoint(
  config: LoraTrainingConfig,
  checkpointDir: string,
  fingerprint: string,
): Promise<CheckpointState | undefined> {
  const checkpoint = config.resume ? await loadCheckpoint(checkpointDir) : undefined;
  return checkpoint && checkpoint.fingerprint === fingerprint && checkpoint.step <= config.steps
    ? checkpoint
    : undefined;
}

/** Keeps the log lines of steps up to `keepThrough` (none for a fresh run). */
async function prepareLog(file: string | undefined, keepThrough: number): Promise<void> {
  if (!file) return;
  await mkdir(path.dirname(path.resolve(file)), { recursive: true });
  const previous = keepThrough > 0 ? await readFile(file, 'utf8').catch(() => '') : '';
  const kept = previous
    .split('\n')
    .filter((line) => line.trim() !== '')
    .filter((line) => {
      try {
        return (JSON.parse(line) as { step: number }).step <= keepThrough;
      } catch {
        return false;
      }
    });
  await writeFile(file, kept.map((l) => `${l}\n`).join(''));
}

export async function resumeOrStart(
  run: EncodedRun,
  session: EngineSession,
  specs: readonly LoraParamSpec[],
  precision: ComputePrecision,
): Promise<TrainingRun> {
  const { config, model, latentSize } = run;
  const optimizer = new AdamW({ lr: config.lr, weightDecay: config.weightDecay });
  const fingerprint = runFingerprint(config);
  const checkpoint = await resumableCheckpoint(config, run.paths.checkpointDir, fingerprint);
  let state: LoopState;
  if (checkpoint) {
    const { step, params, losses, lossScale } = checkpoint;
    state = { step, params, losses: losses.slice(0, step), lossScale };
    optimizer.load(checkpoint.optimizer);
    run.record.resumedFrom = step;
  } else {
    // fp16 backward passes underflow without loss scaling (GradScaler-style backoff on overflow, see loop.ts).
    const lossScale = precision === 'fp16' ? 4096 : 1;
    state = { step: 0, params: initialParams(specs, config.rank, config.seed), losses: [], lossScale };
  }
  await prepareLog(config.log, state.step);
  return {
    ...run,
    session,
    specs,
    shape: {
      config: model.unet.config,
      latentHeight: latentSize,
      latentWidth: latentSize,
      contextWidth: model.textEncoder.config.width,
    },
    optimizer,
    lrAt: learningRateSchedule(config),
    fingerprint,
    startStep: state.step,
    evalBatches: evaluationBatches(config, run.dataset, run.data, config.evalSamples),
    state,
  };
}
