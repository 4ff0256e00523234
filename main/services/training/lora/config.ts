// LoRA training settings, validated at the service boundary. Defaults follow align_sd's HPS recipe scaled to a
// desktop (rank 4, AdamW lr 1e-4, weight decay 1e-2, grad clip 1.0, batch through accumulation) and
// Diffusion-DPO's β = 5000; every value is editable.
import { z } from 'zod';
import {
  ExecutionProviderSchema,
  LoraFormatSchema,
  LoraRecipeSchema,
  LrScheduleSchema,
} from '../../../contract/names';

const positiveInt = z.number().int().positive();

export const loraTrainingConfigSchema = z
  .object({
    recipe: LoraRecipeSchema,
    /** diffusers folder or single-file checkpoint. */
    model: z.string().min(1),
    /** bpe_simple_vocab_16e6.txt.gz or a tokenizer folder; default: the model's tokenizer/. */
    vocab: z.string().min(1).optional(),
    /**
     * Labeled pairs: a library folder (its judgments, or with `pairsBy` the pairs a scorer's stored scores
     * choose: best over worst image per comparison, human labels unused) or a pairs JSONL export.
     */
    data: z.union([
      z
        .object({
          library: z.string().min(1),
          pairsBy: z
            .object({ scorer: z.string().min(1), minMargin: z.number().min(0).default(0) })
            .strict()
            .optional(),
        })
        .strict(),
      z.object({ pairs: z.string().min(1) }).strict(),
    ]),
    /** HPS recipe: a folder of images with same-named .txt captions, mixed in at `ratio` of the samples. */
    regularization: z.object({ folder: z.string().min(1), ratio: z.number().min(0).max(0.95) }).optional(),
    steps: positiveInt,
    rank: positiveInt.default(4),
    /** kohya alpha (branch scale alpha / rank); default: the rank. */
    alpha: z.number().positive().optional(),
    lr: z.number().positive().default(1e-4),
    weightDecay: z.number().min(0).default(1e-2),
    gradClip: z.number().positive().nullable().default(1.0),
    /** Micro-batches (images for hps, pairs for dpo) per optimizer step, accumulated. */
    batch: positiveInt.default(1),
    schedule: LrScheduleSchema.default('constant'),
    warmupSteps: z.number().int().min(0).default(0),
    resolution: positiveInt.default(512),
    /** Recompute each UNet block's activations in the backward pass: far less memory for ≈ one more forward pass. */
    gradientCheckpointing: z.boolean().default(true),
    seed: z.number().int().min(0).default(0),
    /** Diffusion-DPO's β. */
    beta: z.number().positive().default(5000),
    /** Output LoRA file (.safetensors). */
    out: z.string().min(1),
    format: LoraFormatSchema.default('kohya'),
    /** One JSON object per step: step, loss, lr, gradNorm, … */
    log: z.string().min(1).optional(),
    /** Checkpoint every N optimizer steps (0: only at the end). */
    checkpointEvery: z.number().int().min(0).default(100),
    /** Checkpoint folder; default `<out>.checkpoints`. */
    checkpointDir: z.string().min(1).optional(),
    /** Continue from the latest checkpoint of the same run settings when one exists. */
    resume: z.boolean().default(true),
    ep: ExecutionProviderSchema.default('cpu'),
    /** Lowered graphs with external weights and cached latents; default: <out dir>/.hps-train-cache. */
    workDir: z.string().min(1).optional(),
    /** Run history folder (one JSON per run); default: <library>/training-runs or <out dir>/training-runs. */
    historyDir: z.string().min(1).optional(),
    comment: z.string().default(''),
    /** Fixed micro-batches whose mean loss is measured before and after the run (0: none). */
    evalSamples: z.number().int().min(0).default(0),
  })
  .strict();

export type LoraTrainingInput = z.input<typeof loraTrainingConfigSchema>;
export type LoraTrainingConfig = z.output<typeof loraTrainingConfigSchema>;

export function parseTrainingConfig(input: unknown): LoraTrainingConfig {
  const parsed = loraTrainingConfigSchema.safeParse(input);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || 'config'}: ${i.message}`);
    throw new Error(`invalid training settings — ${issues.join('; ')}`);
  }
  if (parsed.data.warmupSteps > parsed.data.steps)
    throw new Error(
      `invalid training settings — warmupSteps ${parsed.data.warmupSteps} exceeds steps ${parsed.data.steps}`,
    );
  if (parsed.data.regularization && parsed.data.recipe !== 'hps')
    throw new Error('invalid training settings — a regularisation folder applies to the hps recipe only');
  return parsed.data;
}

/** The settings that shape the training curve: a checkpoint resumes only a run with the same ones. */
const CURVE_SETTINGS = [
  'recipe',
  'model',
  'data',
  'regularization',
  'rank',
  'alpha',
  'lr',
  'weightDecay',
  'gradClip',
  'batch',
  'schedule',
  'warmupSteps',
  'resolution',
  'seed',
  'beta',
] as const satisfies readonly (keyof LoraTrainingConfig)[];

/** kohya alpha (the LoRA branch is scaled by alpha / rank): the setting, or the rank. */
export function loraAlpha(config: LoraTrainingConfig): number {
  return config.alpha ?? config.rank;
}

export function curveFingerprint(config: LoraTrainingConfig): string {
  return JSON.stringify(Object.fromEntries(CURVE_SETTINGS.map((key) => [key, config[key]])));
}
