// Generate calls: txt2img as a background job (step previews and the finished batch arrive as events),
// the generator models available, and "send to labeling" (a batch becomes one comparison in the library).
import { z } from 'zod';
import { defineCall, LocalPath, NoInput } from './define';
import { ExecutionProviderSchema, SchedulerNameSchema } from './names';

const Side = z.number().int().min(8).max(2048);

export const GenerateSettingsSchema = z
  .object({
    /** A diffusers folder or single-file checkpoint. */
    model: LocalPath,
    /** bpe_simple_vocab_16e6.txt.gz or a tokenizer folder, for models without tokenizer/. */
    vocab: LocalPath.optional(),
    prompt: z.string().trim().min(1, 'write a prompt').max(4000),
    negative: z.string().max(4000).default(''),
    steps: z.number().int().min(1).max(500).default(25),
    cfg: z.number().min(0).max(50).default(7.5),
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 32 - 1),
    scheduler: SchedulerNameSchema.default('pndm'),
    width: Side.default(512),
    height: Side.default(512),
    batch: z.number().int().min(1).max(16).default(1),
    loras: z
      .array(z.object({ file: LocalPath, scale: z.number().min(-4).max(4) }))
      .max(8)
      .default([]),
    ep: ExecutionProviderSchema.default('cpu'),
  })
  .strict();

export const GeneratedImageSchema = z.object({
  /** Relative to the library folder (shown through the client's imageUrl). */
  path: z.string(),
  seed: z.number(),
  /** By loaded scorer id, on each scorer's own scale (HPS: 100 × cosine); filled in as generate.scored arrives. */
  scores: z.record(z.string(), z.number()),
});

export const GeneratedBatchSchema = z.object({
  batchId: z.string(),
  jobId: z.string(),
  settings: GenerateSettingsSchema,
  images: z.array(GeneratedImageSchema),
  /** The scorers loaded when the images were produced, HPS v2.1 first: each gives every image a chip. */
  scorers: z.array(z.string()),
  /** Scorers that could not score some image of this batch (or any: unloaded meanwhile, cancelled), with why. */
  scoreErrors: z.record(z.string(), z.string()),
  /** LoRA files with modules that were not applied (3×3 LoCon, LoHa, …), one line each. */
  loraWarnings: z.array(z.string()),
  seconds: z.number(),
  /** The library comparison this batch became, once sent to labeling. */
  comparisonId: z.number().nullable(),
});

/** One image of a finished batch. */
export const BatchImageRef = z.object({ batchId: z.string().min(1).max(200), path: z.string().min(1) });

export const generateCalls = {
  'generate.start': defineCall({
    summary: 'Starts txt2img as a job; generate.preview events show the steps, generate.done the batch.',
    input: GenerateSettingsSchema,
    output: z.object({ jobId: z.string(), batchId: z.string() }),
  }),
  'generate.batch': defineCall({
    summary: 'A finished batch (images, seeds, the loaded scorers’ scores so far).',
    input: z.object({ batchId: z.string().min(1).max(200) }).strict(),
    output: GeneratedBatchSchema,
  }),
  'generate.models': defineCall({
    summary: 'Installed Stable Diffusion models (catalog and imported), as paths to generate with.',
    input: NoInput,
    output: z.object({
      models: z.array(z.object({ id: z.string(), name: z.string(), path: z.string() })),
      loras: z.array(z.object({ id: z.string(), name: z.string(), path: z.string() })),
    }),
  }),
  'generate.sendToLabeling': defineCall({
    summary: 'Adds a batch (or the chosen images of it) to the library as one comparison.',
    input: z
      .object({
        batchId: z.string().min(1).max(200),
        /** Image paths of the batch to include; default all. */
        images: z.array(z.string()).min(2).optional(),
      })
      .strict(),
    output: z.object({ comparisonId: z.number(), created: z.boolean() }),
  }),
  'generate.sendPairs': defineCall({
    summary: 'A/B labeling: each (base, adapted) image pair of finished batches becomes one comparison.',
    input: z
      .object({
        pairs: z
          .array(z.object({ base: BatchImageRef, adapted: BatchImageRef }))
          .min(1)
          .max(500),
      })
      .strict(),
    output: z.object({ comparisonIds: z.array(z.number()) }),
  }),
};

export const generateEvents = {
  /** A sampling step of a generate job: latent→RGB preview of the first image, as a PNG data URL. */
  'generate.preview': z.object({
    jobId: z.string(),
    batchId: z.string(),
    step: z.number().int(),
    total: z.number().int(),
    dataUrl: z.string(),
  }),
  /** A generate job's batch is ready (its score chips follow as generate.scored, one per loaded scorer). */
  'generate.done': GeneratedBatchSchema,
  /** One loaded scorer has scored a finished batch: its chip for every image (null: the image failed). */
  'generate.scored': z.object({
    jobId: z.string(),
    batchId: z.string(),
    scorerId: z.string(),
    scores: z.array(z.object({ path: z.string(), score: z.number().nullable() })),
    /** Why this scorer gave no score for some image (or all: unloaded meanwhile, cancelled). */
    error: z.string().optional(),
  }),
};
