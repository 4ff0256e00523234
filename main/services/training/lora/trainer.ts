// The LoRA training run: data → cached latents and text states → one training session (UNet + LoRA inputs,
// loss, gradients) → AdamW steps in TypeScript with accumulation, clipping and an LR schedule; progress events,
// pause/cancel, atomic checkpoints, resume, a JSONL step log, a run record and the output LoRA file.
import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  AdamW,
  clipGradNorm,
  constantSchedule,
  cosineWithWarmup,
  globalNorm,
  GradientAccumulator,
} from '../../../engine/optim';
import { SessionCache, type EngineSession } from '../../../engine/runtime';
import { vaeScaleFactor } from '../../../models/sd';
import { ClipTokenizer } from '../../../tokenizer';
import { loadSdModel, type SdModel } from '../../diffusion/loader';
import { openGraphSession, precisionFor } from '../../diffusion/pipeline/sessions';
import { alphasCumprodFor } from '../../diffusion/schedulers';
import { loadCheckpoint, saveCheckpoint } from './checkpoint';
import {
  curveFingerprint,
  parseTrainingConfig,
  type LoraTrainingConfig,
  type LoraTrainingInput,
} from './config';
import { TrainingControl } from './control';
import { encodeCaptions, encodeImages } from './encode';
import { writeKohyaLora, writePeftLora } from './export';
import { buildLoraTrainingGraph } from './graph';
import { meanOf, writeRunRecord, type TrainingRunRecord } from './history';
import { evaluationBatches, initialParams, loadDataset, microBatchAt } from './dataset';
import { trainingMetadata } from './metadata';
import type { SamplerData } from './sampler';
import { runStep, stepFeeds, type StepShape } from './step';

export interface TrainingProgress {
  phase: 'preparing' | 'training' | 'paused' | 'saving' | 'done';
  step: number;
  totalSteps: number;
  message?: string;
  loss?: number;
  lr?: number;
  gradNorm?: number;
  stepsPerSecond?: number;
  etaSeconds?: number;
}

export interface TrainingOptions {
  onProgress?: (event: TrainingProgress) => void;
  /** Cancels between micro-batches; the run stops with a checkpoint it can resume from. */
  signal?: AbortSignal;
  control?: TrainingControl;
  /** Share sessions with other work (and between runs); by default the run owns and clears its own. */
  sessions?: SessionCache;
}

export interface TrainingResult {
  status: 'completed' | 'cancelled';
  /** Optimizer steps done in total (including those before a resume). */
  step: number;
  /** Loss of every step from 1 to `step`. */
  losses: number[];
  resumedFrom?: number;
  /** Mean loss on fixed evaluation micro-batches before and after this run (when evalSamples > 0). */
  evaluation?: { before: number; after: number };
  output?: string;
  runFile: string;
}

export interface TrainingJob {
  id: string;
  done: Promise<TrainingResult>;
  pause(): void;
  resume(): void;
  cancel(): void;
}

function runId(config: LoraTrainingConfig): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  return `${stamp}-${path.basename(config.out, path.extname(config.out))}`;
}

function baseModelVersion(model: SdModel): string {
  return model.unet.config.crossAttentionDim === 1024 ? 'sd_v2' : 'sd_v1';
}

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

/** Runs a training to completion (or cancellation); see startTraining for the job form. */
export async function trainLora(
  input: LoraTrainingInput,
  options: TrainingOptions = {},
): Promise<TrainingResult> {
  const config = parseTrainingConfig(input);
  const outDir = path.dirname(path.resolve(config.out));
  const workDir = config.workDir ?? path.join(outDir, '.hps-train-cache');
  const checkpointDir = config.checkpointDir ?? `${path.resolve(config.out)}.checkpoints`;
  const historyDir =
    config.historyDir ??
    ('library' in config.data
      ? path.join(config.data.library, 'training-runs')
      : path.join(outDir, 'training-runs'));
  const alpha = config.alpha ?? config.rank;
  const emit = (event: TrainingProgress) => options.onProgress?.(event);
  const record: TrainingRunRecord = {
    id: runId(config),
    status: 'running',
    config,
    startedAt: new Date().toISOString(),
    updatedAt: '',
    step: 0,
    totalSteps: config.steps,
  };
  const runFile = await writeRunRecord(historyDir, record);
  const sessions = options.sessions ?? new SessionCache();
  const model = await loadSdModel(config.model);
  let session: EngineSession | undefined;
  try {
    emit({ phase: 'preparing', step: 0, totalSteps: config.steps, message: 'reading pairs' });
    const vocab = config.vocab ?? model.tokenizerPath;
    if (!vocab)
      throw new Error(
        `${config.model} has no tokenizer/ folder: pass a vocabulary (bpe_simple_vocab_16e6.txt.gz or a tokenizer folder)`,
      );
    const tokenizer = await ClipTokenizer.load(vocab, { cleaning: 'transformers' });
    const dataset = await loadDataset(config, workDir);
    emit({ phase: 'preparing', step: 0, totalSteps: config.steps, message: dataset.summary });
    const scale = vaeScaleFactor(model.vae.config);
    const multiple = scale * 2 ** (model.unet.config.blockOutChannels.length - 1);
    if (config.resolution % multiple !== 0)
      throw new Error(
        `resolution must be a multiple of ${multiple} for this model, got ${config.resolution}`,
      );
    const latentSize = config.resolution / scale;

    const base = { ep: config.ep, sessions, workDir };
    const images = [
      ...dataset.samples,
      ...dataset.regularization,
      ...dataset.pairs.flatMap((p) => [p.chosen, p.rejected]),
    ];
    emit({
      phase: 'preparing',
      step: 0,
      totalSteps: config.steps,
      message: `encoding ${new Set(images.map((i) => i.image)).size} images`,
    });
    const latents = await encodeImages(
      model,
      images.map((i) => i.image),
      config.resolution,
      base,
      path.join(workDir, 'latents'),
      options.signal,
    );
    const captions = await encodeCaptions(
      model,
      tokenizer,
      images.map((i) => i.caption),
      base,
      options.signal,
    );
    const data: SamplerData = {
      latents,
      captions,
      sequence: model.textEncoder.config.contextLength,
      alphasCumprod: alphasCumprodFor(model.scheduler),
      scalingFactor: model.vae.config.scalingFactor,
      predictionType: model.scheduler.predictionType,
    };

    emit({ phase: 'preparing', step: 0, totalSteps: config.steps, message: 'building the training graph' });
    const precision = precisionFor(config.ep);
    const objective =
      config.recipe === 'dpo'
        ? { kind: 'dpo' as const, beta: config.beta, pairs: 1 }
        : { kind: 'mse' as const };
    const built = buildLoraTrainingGraph(model.unet.weights, model.unet.config, {
      height: latentSize,
      width: latentSize,
      rank: config.rank,
      alpha,
      storage: precision === 'fp16' ? 'f16' : 'f32',
      objective,
      gradientCheckpointing: config.gradientCheckpointing,
    });
    session = await openGraphSession(built.graph, { ...base, precision, cpuMemArena: false });
    const shape: StepShape = {
      config: model.unet.config,
      latentHeight: latentSize,
      latentWidth: latentSize,
      contextWidth: model.textEncoder.config.width,
    };
    const specs = built.params;

    let params = initialParams(specs, config.rank, config.seed);
    const optimizer = new AdamW({ lr: config.lr, weightDecay: config.weightDecay });
    const lrAt =
      config.schedule === 'cosine'
        ? cosineWithWarmup({ lr: config.lr, warmupSteps: config.warmupSteps, totalSteps: config.steps })
        : constantSchedule({ lr: config.lr, warmupSteps: config.warmupSteps });
    const fingerprint = curveFingerprint(config) + (config.schedule === 'cosine' ? `#${config.steps}` : '');
    let losses: number[] = [];
    let start = 0;
    // fp16 backward passes underflow without loss scaling (GradScaler-style backoff on overflow below).
    let lossScale = precision === 'fp16' ? 4096 : 1;
    const checkpoint = config.resume ? await loadCheckpoint(checkpointDir) : undefined;
    if (checkpoint && checkpoint.fingerprint === fingerprint && checkpoint.step <= config.steps) {
      params = checkpoint.params;
      optimizer.load(checkpoint.optimizer);
      losses = checkpoint.losses.slice(0, checkpoint.step);
      start = checkpoint.step;
      lossScale = checkpoint.lossScale;
      record.resumedFrom = start;
    }
    await prepareLog(config.log, start);

    const evalBatches = evaluationBatches(config, dataset, data, config.evalSamples);
    const evaluate = async () => {
      let sum = 0;
      for (const mb of evalBatches)
        sum += (await runStep(session!, stepFeeds(mb, shape, params, specs), specs, options.signal)).loss;
      return sum / evalBatches.length;
    };
    const before = evalBatches.length > 0 ? await evaluate() : undefined;

    const save = async (step: number) => {
      emit({ phase: 'saving', step, totalSteps: config.steps, message: `checkpoint at step ${step}` });
      await saveCheckpoint(checkpointDir, {
        step,
        fingerprint,
        losses,
        lossScale,
        params,
        optimizer: optimizer.state(),
      });
      record.step = step;
      record.firstLoss = meanOf(losses.slice(0, 10));
      record.lastLoss = meanOf(losses.slice(-10));
      await writeRunRecord(historyDir, record);
    };

    const accumulator = new GradientAccumulator();
    const started = performance.now();
    let step = start;
    let cancelled = false;
    try {
      while (step < config.steps) {
        if (options.control?.paused) {
          emit({ phase: 'paused', step, totalSteps: config.steps });
          await options.control.wait(options.signal);
        }
        options.signal?.throwIfAborted();
        accumulator.reset();
        let lossSum = 0;
        for (let m = 0; m < config.batch; m++) {
          const mb = microBatchAt(config, dataset, data, step * config.batch + m);
          const result = await runStep(
            session,
            stepFeeds(mb, shape, params, specs, lossScale),
            specs,
            options.signal,
          );
          accumulator.add(result.grads);
          lossSum += result.loss;
        }
        const grads = accumulator.result('average');
        if (!Number.isFinite(globalNorm(grads))) {
          // fp16 overflow: back the loss scale off and redo the same step (same data and noise).
          if (lossScale <= 1)
            throw new Error(
              `step ${step + 1}: the gradients are not finite (loss ${lossSum / config.batch})`,
            );
          lossScale /= 2;
          continue;
        }
        const gradNorm = config.gradClip === null ? globalNorm(grads) : clipGradNorm(grads, config.gradClip);
        const lr = lrAt(step);
        optimizer.lr = lr;
        optimizer.step(params, grads);
        step += 1;
        const loss = lossSum / config.batch;
        losses.push(loss);
        const seconds = (performance.now() - started) / 1000;
        const stepsPerSecond = (step - start) / seconds;
        if (config.log)
          await appendFile(
            config.log,
            `${JSON.stringify({ step, loss, lr, gradNorm, stepsPerSecond, elapsedSeconds: seconds })}\n`,
          );
        emit({
          phase: 'training',
          step,
          totalSteps: config.steps,
          loss,
          lr,
          gradNorm,
          stepsPerSecond,
          etaSeconds: (config.steps - step) / stepsPerSecond,
        });
        if (config.checkpointEvery > 0 && step % config.checkpointEvery === 0 && step < config.steps)
          await save(step);
      }
    } catch (error) {
      if (!options.signal?.aborted) throw error;
      cancelled = true;
    }
    // A cancelled run keeps its last completed step, so it can resume exactly there.
    await save(step);
    if (cancelled) {
      record.status = 'cancelled';
      await writeRunRecord(historyDir, record);
      return { status: 'cancelled', step, losses, resumedFrom: record.resumedFrom, runFile };
    }

    const after = evalBatches.length > 0 ? await evaluate() : undefined;
    const evaluation = before !== undefined && after !== undefined ? { before, after } : undefined;
    emit({ phase: 'saving', step, totalSteps: config.steps, message: `writing ${config.out}` });
    await mkdir(outDir, { recursive: true });
    const metadata = trainingMetadata(config, {
      baseModelVersion: baseModelVersion(model),
      steps: step,
      trainImages: config.recipe === 'dpo' ? dataset.pairs.length * 2 : dataset.samples.length,
      startedAt: record.startedAt,
    });
    const info = { rank: config.rank, alpha, metadata };
    await (config.format === 'peft' ? writePeftLora : writeKohyaLora)(config.out, specs, params, info);
    record.status = 'completed';
    record.output = path.resolve(config.out);
    record.evaluation = evaluation;
    await writeRunRecord(historyDir, record);
    emit({ phase: 'done', step, totalSteps: config.steps, loss: losses.at(-1) });
    return {
      status: 'completed',
      step,
      losses,
      resumedFrom: record.resumedFrom,
      evaluation,
      output: record.output,
      runFile,
    };
  } catch (error) {
    // Cancelled while preparing (encoding, building): nothing trained, nothing to resume.
    if (options.signal?.aborted) {
      record.status = 'cancelled';
      await writeRunRecord(historyDir, record).catch(() => undefined);
      return { status: 'cancelled', step: record.step, losses: [], runFile };
    }
    record.status = 'failed';
    record.error = error instanceof Error ? error.message : String(error);
    await writeRunRecord(historyDir, record).catch(() => undefined);
    throw error;
  } finally {
    await session?.release();
    if (!options.sessions) await sessions.clear();
    await model.close();
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
