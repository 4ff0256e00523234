// What a training run reports and returns, and the state it carries through its stages: openRun → prepareRun
// → encodeRun → the training session → resumeOrStart → runLoop → finishRun. Each stage's state extends the
// previous one's, so a stage can use everything the stages before it produced.
import type { AdamW, LrSchedule, TensorSet } from '../../../engine/optim';
import type { EngineSession, ExecutionProvider, SessionCache } from '../../../engine/runtime';
import type { ClipTokenizer } from '../../../tokenizer';
import type { SdModel } from '../../diffusion/loader';
import type { LoraTrainingConfig } from './config';
import type { TrainingControl } from './control';
import type { Dataset } from './dataset';
import type { LoraParamSpec } from './graph';
import type { TrainingRunRecord } from './history';
import type { SamplerData } from './sampler';
import type { MicroBatch, StepShape } from './step';

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

export interface RunPaths {
  /** Folder of the output LoRA file. */
  outDir: string;
  /** Lowered graphs, cached latents and library exports. */
  workDir: string;
  checkpointDir: string;
  /** Run history: one JSON record per run. */
  historyDir: string;
}

/** A run whose record is written and whose model is open: what every stage reads. */
export interface OpenRun {
  config: LoraTrainingConfig;
  options: TrainingOptions;
  emit: (event: TrainingProgress) => void;
  paths: RunPaths;
  /** Rewritten (atomically) as the run progresses. */
  record: TrainingRunRecord;
  runFile: string;
  model: SdModel;
  /** Session options of every session of the run: the frozen encoders' and the training graph's. */
  base: { ep: ExecutionProvider; sessions: SessionCache; workDir: string };
}

export interface PreparedRun extends OpenRun {
  tokenizer: ClipTokenizer;
  dataset: Dataset;
  /** Latent height and width for the training resolution. */
  latentSize: number;
}

export interface EncodedRun extends PreparedRun {
  data: SamplerData;
}

/** What the loop advances and each checkpoint saves. */
export interface LoopState {
  /** Optimizer steps done (including those before a resume). */
  step: number;
  params: TensorSet;
  losses: number[];
  /** fp16 loss scale in effect (1 in fp32). */
  lossScale: number;
}

/** A run ready for its loop: the training session, the optimizer, and the state to start (or resume) from. */
export interface TrainingRun extends EncodedRun {
  session: EngineSession;
  specs: readonly LoraParamSpec[];
  shape: StepShape;
  optimizer: AdamW;
  lrAt: LrSchedule;
  /** Checkpoints of runs with another fingerprint (another loss curve) are not resumed. */
  fingerprint: string;
  /** Step this session started at: 0, or the checkpoint's step on resume. */
  startStep: number;
  /** Fixed micro-batches measured before and after training (none when evalSamples is 0). */
  evalBatches: MicroBatch[];
  state: LoopState;
}
