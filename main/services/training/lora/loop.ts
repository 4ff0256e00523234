// The optimizer loop: micro-batches accumulated into one clipped, scheduled AdamW step, fp16 loss-scale backoff
// on overflow, pause between steps, a log line and a progress event per step, and periodic checkpoints.
import { appendFile } from 'node:fs/promises';
import { clipGradNorm, globalNorm, GradientAccumulator, type TensorSet } from '../../../engine/optim';
import { saveCheckpoint } from './checkpoint';
import { microBatchAt } from './dataset';
import { meanOf, writeRunRecord } from './history';
import type { TrainingResult, TrainingRun } from './run-state';
import { runStep, stepFeeds } from './step';

interface StepMetrics {
  loss: number;
  lr: number;
  gradNorm: number;
}

/** Checkpoints the current step and brings the run record up to it. */
export async function checkpointRun(run: TrainingRun): Promise<void> {
  const { config, state, record } = run;
  const { step } = state;
  run.emit({ phase: 'saving', step, totalSteps: config.steps, message: `checkpoint at step ${step}` });
  await saveCheckpoint(run.paths.checkpointDir, {
    step,
    fingerprint: run.fingerprint,
    losses: state.losses,
    lossScale: state.lossScale,
    params: state.params,
    optimizer: run.optimizer.state(),
  });
  record.step = step;
  record.firstLoss = meanOf(state.losses.slice(0, 10));
  record.lastLoss = meanOf(state.losses.slice(-10));
  await writeRunRecord(run.paths.historyDir, record);
}

/** Mean loss of the evaluation micro-batches at the current parameters; undefined when there are none. */
export async function evaluationLoss(run: TrainingRun): Promise<number | undefined> {
  const { evalBatches, session, shape, specs, state } = run;
  if (evalBatches.length === 0) return undefined;
  let sum = 0;
  for (const mb of evalBatches)
    sum += (await runStep(session, stepFeeds(mb, shape, state.params, specs), specs, run.options.signal))
      .loss;
  return sum / evalBatches.length;
}

/** The step's micro-batches at the current parameters and loss scale: mean loss, averaged gradients. */
async function accumulatedStep(run: TrainingRun): Promise<{ loss: number; grads: TensorSet }> {
  const { config, session, shape, specs, state } = run;
  const accumulator = new GradientAccumulator();
  let lossSum = 0;
  for (let m = 0; m < config.batch; m++) {
    const mb = microBatchAt(config, run.dataset, run.data, state.step * config.batch + m);
    const feeds = stepFeeds(mb, shape, state.params, specs, state.lossScale);
    const result = await runStep(session, feeds, specs, run.options.signal);
    accumulator.add(result.grads);
    lossSum += result.loss;
  }
  return { loss: lossSum / config.batch, grads: accumulator.result('average') };
}

/** Clips the gradients and applies them at the step's learning rate. */
function optimizerStep(run: TrainingRun, grads: TensorSet): Omit<StepMetrics, 'loss'> {
  const { config, optimizer, state } = run;
  const gradNorm = config.gradClip === null ? globalNorm(grads) : clipGradNorm(grads, config.gradClip);
  const lr = run.lrAt(state.step);
  optimizer.lr = lr;
  optimizer.step(state.params, grads);
  return { lr, gradNorm };
}

/** The log line and the progress event of the step just done. */
async function reportStep(run: TrainingRun, metrics: StepMetrics, started: number): Promise<void> {
  const { config } = run;
  const { step } = run.state;
  const { loss, lr, gradNorm } = metrics;
  const seconds = (performance.now() - started) / 1000;
  const stepsPerSecond = (step - run.startStep) / seconds;
  if (config.log)
    await appendFile(
      config.log,
      `${JSON.stringify({ step, loss, lr, gradNorm, stepsPerSecond, elapsedSeconds: seconds })}\n`,
    );
  run.emit({
    phase: 'training',
    step,
    totalSteps: config.steps,
    loss,
    lr,
    gradNorm,
    stepsPerSecond,
    etaSeconds: (config.steps - step) / stepsPerSecond,
  });
}

/** One optimizer step; on an fp16 overflow, only a halved loss scale (the caller redoes the step). */
async function trainStep(run: TrainingRun, started: number): Promise<void> {
  const { config, state } = run;
  const { loss, grads } = await accumulatedStep(run);
  if (!Number.isFinite(globalNorm(grads))) {
    // fp16 overflow: back the loss scale off and redo the same step (same data and noise).
    if (state.lossScale <= 1)
      throw new Error(`step ${state.step + 1}: the gradients are not finite (loss ${loss})`);
    state.lossScale /= 2;
    return;
  }
  const { lr, gradNorm } = optimizerStep(run, grads);
  state.step += 1;
  state.losses.push(loss);
  await reportStep(run, { loss, lr, gradNorm }, started);
  if (config.checkpointEvery > 0 && state.step % config.checkpointEvery === 0 && state.step < config.steps)
    await checkpointRun(run);
}

/** Trains up to config.steps; 'cancelled' when the signal aborts, with the state at the last completed step. */
export async function runLoop(run: TrainingRun): Promise<TrainingResult['status']> {
  const { config, state } = run;
  const { signal, control } = run.options;
  const started = performance.now();
  try {
    while (state.step < config.steps) {
      if (control?.paused) {
        run.emit({ phase: 'paused', step: state.step, totalSteps: config.steps });
        await control.wait(signal);
      }
      signal?.throwIfAborted();
      await trainStep(run, started);
    }
  } catch (error) {
    if (!signal?.aborted) throw error;
    return 'cancelled';
  }
  return 'completed';
}
