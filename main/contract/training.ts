// Training calls: one-click LoRA training from the library's labels (HPS recipe or Diffusion-DPO) as a
// pausable job with live losses, checkpoints, resume of a stopped run, and the run history.
import { z } from 'zod';
import { defineCall, LocalPath, NoInput } from './define';
import { HeldOutResultSchema } from './evaluation';
import {
  ExecutionProviderSchema,
  LoraFormatSchema,
  LoraRecipeSchema,
  LrScheduleSchema,
  TrainableKindSchema,
} from './names';

const LabelNextLimit = z.number().int().min(1).max(1000).default(20);
const JobId = z.object({ jobId: z.string().min(1).max(200) }).strict();

/** Defaults follow align_sd scaled to a desktop (rank 4, AdamW lr 1e-4); the view shows them. */
export const LoraTrainingSettingsSchema = z
  .object({
    recipe: LoraRecipeSchema.default('hps'),
    model: LocalPath,
    vocab: LocalPath.optional(),
    steps: z.number().int().min(1).max(100_000).default(500),
    rank: z.number().int().min(1).max(256).default(4),
    lr: z.number().positive().max(1).default(1e-4),
    batch: z.number().int().min(1).max(64).default(1),
    resolution: z.number().int().min(8).max(2048).default(512),
    /** Recompute UNet block activations in the backward pass: a 512 px fp32 step peaks at 12 instead of 18 GiB; steps ≈ 25% slower. */
    gradientCheckpointing: z.boolean().default(true),
    seed: z.number().int().min(0).default(0),
    checkpointEvery: z.number().int().min(0).default(50),
    schedule: LrScheduleSchema.default('constant'),
    warmupSteps: z.number().int().min(0).default(0),
    beta: z.number().positive().default(5000),
    format: LoraFormatSchema.default('kohya'),
    /** HPS recipe: a folder of images with same-named .txt captions, mixed in at `ratio` of the samples. */
    regularization: z
      .object({ folder: LocalPath, ratio: z.number().min(0).max(0.95).default(0.25) })
      .strict()
      .optional(),
    ep: ExecutionProviderSchema.default('cpu'),
    /** Pairs chosen by a scorer's stored scores (a library.status `scorers` id) instead of human labels. */
    pairsBy: z.string().min(1).max(200).optional(),
    /** With pairsBy: comparisons whose best and worst scores differ by less are skipped (default 0). */
    minMargin: z.number().min(0).max(1000).optional(),
    /** Output name (letters, digits, - and _); the file is <library>/loras/<name>.safetensors. */
    name: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,80}$/, 'use letters, digits, - and _')
      .optional(),
  })
  .strict();

export const TrainingProgressSchema = z.object({
  jobId: z.string(),
  runName: z.string(),
  phase: z.enum(['preparing', 'training', 'paused', 'saving', 'done']),
  step: z.number().int(),
  totalSteps: z.number().int(),
  message: z.string().optional(),
  loss: z.number().optional(),
  lr: z.number().optional(),
  stepsPerSecond: z.number().optional(),
  etaSeconds: z.number().optional(),
});

export const TrainingRunSchema = z.object({
  id: z.string(),
  status: z.enum(['running', 'completed', 'cancelled', 'failed']),
  recipe: LoraRecipeSchema,
  model: z.string(),
  vocab: z.string().optional(),
  /** The scorer that chose the pairs; absent: the library's human labels. */
  pairsBy: z.string().optional(),
  /** Training resolution: the A/B grid generates at this size. */
  resolution: z.number(),
  startedAt: z.string(),
  updatedAt: z.string(),
  step: z.number(),
  totalSteps: z.number(),
  firstLoss: z.number().optional(),
  lastLoss: z.number().optional(),
  output: z.string().optional(),
  error: z.string().optional(),
  /** The output name; training.restart with it resumes from the run's last checkpoint. */
  name: z.string(),
});

export const TrainingLiveSchema = z.object({
  jobId: z.string(),
  runName: z.string(),
  paused: z.boolean(),
  losses: z.array(z.number()),
  last: TrainingProgressSchema.nullable(),
});

/** Preference-model (scorer) fine-tuning on the library's labels: defaults as the service's. */
export const ScorerTrainingSettingsSchema = z
  .object({
    kind: TrainableKindSchema,
    /** The base scorer's checkpoint. */
    base: LocalPath,
    vocab: LocalPath,
    blocks: z.number().int().min(1).max(48).default(1),
    steps: z.number().int().min(1).max(100_000).default(100),
    lr: z.number().positive().max(1).default(1e-5),
    batchSize: z.number().int().min(1).max(256).default(8),
    seed: z.number().int().min(0).default(0),
    testFraction: z.number().min(0.05).max(0.9).default(0.2),
    ep: ExecutionProviderSchema.default('cpu'),
    name: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,80}$/, 'use letters, digits, - and _')
      .optional(),
  })
  .strict();

export const ScorerTrainingReportSchema = HeldOutResultSchema.extend({
  jobId: z.string(),
  /** The saved scorer: use it like any other (live readouts, LoRA pairs, label next). */
  output: z.string(),
  kind: z.string(),
  losses: z.array(z.number()),
});

export const trainingCalls = {
  'training.start': defineCall({
    summary: "Starts LoRA training on the library's labels; training.progress events report each step.",
    input: LoraTrainingSettingsSchema,
    output: z.object({ jobId: z.string(), runName: z.string(), output: z.string() }),
  }),
  'training.pause': defineCall({
    summary: 'Pauses a training job between steps.',
    input: JobId,
    output: z.object({ paused: z.boolean() }),
  }),
  'training.resume': defineCall({
    summary: 'Resumes a paused training job.',
    input: JobId,
    output: z.object({ resumed: z.boolean() }),
  }),
  'training.restart': defineCall({
    summary:
      'Starts a stopped run (cancelled, failed, or cut off by a restart) again from its last checkpoint.',
    input: z.object({ runId: z.string().min(1).max(300) }).strict(),
    output: z.object({ jobId: z.string(), runName: z.string(), output: z.string() }),
  }),
  'training.live': defineCall({
    summary: 'Training jobs of this session with their loss curves so far.',
    input: NoInput,
    output: z.object({ runs: z.array(TrainingLiveSchema) }),
  }),
  'training.runs': defineCall({
    summary: "The library's training run history, newest first.",
    input: NoInput,
    output: z.object({ runs: z.array(TrainingRunSchema) }),
  }),
  'training.scorerStart': defineCall({
    summary: "Fine-tunes a CLIP-family scorer on the library's labels; held-out accuracy before and after.",
    input: ScorerTrainingSettingsSchema,
    output: z.object({ jobId: z.string(), output: z.string() }),
  }),
  'training.labelNext': defineCall({
    summary:
      'Active learning: unlabeled comparisons to label next, by one scorer’s uncertainty (|p − 0.5| smallest first) or by the disagreement of the scores several scorers stored in the library.',
    input: z.discriminatedUnion('source', [
      z
        .object({
          source: z.literal('uncertainty'),
          kind: TrainableKindSchema,
          model: LocalPath,
          vocab: LocalPath,
          limit: LabelNextLimit,
        })
        .strict(),
      z
        .object({
          source: z.literal('disagreement'),
          /** Scorer ids as library.status lists them (scores the live readouts stored). */
          scorers: z.array(z.string().min(1).max(200)).min(2, 'pick at least 2 scorers').max(20),
          limit: LabelNextLimit,
        })
        .strict(),
    ]),
    output: z.object({
      queue: z.array(z.object({ comparisonId: z.number(), prompt: z.string(), priority: z.number() })),
      /** disagreement: unlabeled comparisons left out because a chosen scorer has not scored them yet. */
      unscored: z.number().int(),
    }),
  }),
};

export const trainingEvents = {
  /** A training job's phase or step (every optimizer step while training). */
  'training.progress': TrainingProgressSchema,
  /** A scorer-training step. */
  'training.scorerStep': z.object({
    jobId: z.string(),
    step: z.number().int(),
    totalSteps: z.number().int(),
    loss: z.number(),
  }),
  /** A scorer-training job finished: held-out accuracy before and after, under both tie conventions. */
  'training.scorerDone': ScorerTrainingReportSchema,
};
