// The run's end: a checkpoint at the last completed step, then a cancelled (resumable) record, or the after
// evaluation, the LoRA file and a completed record. A run that stops before its loop ends is recorded too.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { SdModel } from '../../diffusion/loader';
import { loraAlpha } from './config';
import { writeKohyaLora, writePeftLora } from './export';
import { writeRunRecord } from './history';
import { checkpointRun, evaluationLoss } from './loop';
import { trainingMetadata } from './metadata';
import type { OpenRun, TrainingResult, TrainingRun } from './run-state';

function baseModelVersion(model: SdModel): string {
  return model.unet.config.crossAttentionDim === 1024 ? 'sd_v2' : 'sd_v1';
}

async function recordCancelled(run: TrainingRun): Promise<TrainingResult> {
  const { record, state } = run;
  record.status = 'cancelled';
  await writeRunRecord(run.paths.historyDir, record);
  return {
    status: 'cancelled',
    step: state.step,
    losses: state.losses,
    resumedFrom: record.resumedFrom,
    runFile: run.runFile,
  };
}

async function writeLora(run: TrainingRun): Promise<void> {
  const { config, dataset, state } = run;
  run.emit({ phase: 'saving', step: state.step, totalSteps: config.steps, message: `writing ${config.out}` });
  await mkdir(run.paths.outDir, { recursive: true });
  const metadata = trainingMetadata(config, {
    baseModelVersion: baseModelVersion(run.model),
    steps: state.step,
    trainImages: config.recipe === 'dpo' ? dataset.pairs.length * 2 : dataset.samples.length,
    startedAt: run.record.startedAt,
  });
  const info = { rank: config.rank, alpha: loraAlpha(config), metadata };
  await (config.format === 'peft' ? writePeftLora : writeKohyaLora)(
    config.out,
    run.specs,
    state.params,
    info,
  );
}

async function recordCompleted(run: TrainingRun, before: number | undefined): Promise<TrainingResult> {
  const { config, record, state } = run;
  const after = await evaluationLoss(run);
  const evaluation = before !== undefined && after !== undefined ? { before, after } : undefined;
  await writeLora(run);
  record.status = 'completed';
  record.output = path.resolve(config.out);
  record.evaluation = evaluation;
  await writeRunRecord(run.paths.historyDir, record);
  run.emit({ phase: 'done', step: state.step, totalSteps: config.steps, loss: state.losses.at(-1) });
  return {
    status: 'completed',
    step: state.step,
    losses: state.losses,
    resumedFrom: record.resumedFrom,
    evaluation,
    output: record.output,
    runFile: run.runFile,
  };
}

/** Ends a run whose loop returned `status`; `before` is the evaluation loss measured before the loop. */
export async function finishRun(
  run: TrainingRun,
  status: TrainingResult['status'],
  before: number | undefined,
): Promise<TrainingResult> {
  // A cancelled run keeps its last completed step, so it can resume exactly there.
  await checkpointRun(run);
  return status === 'cancelled' ? recordCancelled(run) : recordCompleted(run, before);
}

/** Records a run that threw: cancelled (its result is returned) or failed (the error is rethrown). */
export async function abandonRun(run: OpenRun, error: unknown): Promise<TrainingResult> {
  const { record } = run;
  // Cancelled while preparing (encoding, building): nothing trained, nothing to resume.
  if (run.options.signal?.aborted) {
    record.status = 'cancelled';
    await writeRunRecord(run.paths.historyDir, record).catch(() => undefined);
    return { status: 'cancelled', step: record.step, losses: [], runFile: run.runFile };
  }
  record.status = 'failed';
  record.error = error instanceof Error ? error.message : String(error);
  await writeRunRecord(run.paths.historyDir, record).catch(() => undefined);
  throw error;
}
