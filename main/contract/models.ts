// Model calls: the catalog with what is on disk, background downloads (pause / resume / cancel), delete,
// import of a local checkpoint (architecture detected from its tensors), disk usage, and the EP each runs on.
import { z } from 'zod';
import { defineCall, LocalPath, NoInput } from './define';
import { DetectedKindSchema, ExecutionProviderSchema } from './names';

const ModelId = z.string().min(1).max(200);

export const ModelStateSchema = z.enum(['installed', 'partial', 'absent', 'downloading']);

export const DetectedCheckpointSchema = z.object({
  path: z.string(),
  kind: DetectedKindSchema,
  label: z.string(),
  format: z.enum(['safetensors', 'torch', 'folder']),
  details: z.record(z.string(), z.union([z.string(), z.number()])),
});

/** Where a model would run: the first EP of the preference order that the doctor found working. */
export const ModelEpSchema = z.object({
  /** null: the model runs no ONNX graph (tokenizer files) or no EP works. */
  preferred: ExecutionProviderSchema.nullable(),
  /** Tried in this order; EPs the doctor found unavailable are skipped. */
  order: z.array(ExecutionProviderSchema),
  note: z.string(),
});

export const ModelProgressSchema = z.object({
  modelId: z.string(),
  state: z.enum(['downloading', 'paused', 'installed', 'cancelled', 'failed']),
  /** The file being fetched. */
  file: z.string().optional(),
  /** Across all of this model's files. */
  bytes: z.number().nonnegative(),
  total: z.number().nonnegative(),
  totalIsEstimate: z.boolean(),
  bytesPerSecond: z.number().nonnegative(),
  error: z.string().optional(),
});

export const CatalogModelSchema = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  purpose: z.enum(['scorer', 'generator', 'tokenizer']),
  scorer: z.string().optional(),
  /** The catalog's architecture in words, e.g. "open_clip ViT-H/14 (GELU)". */
  architecture: z.string(),
  homepage: z.string(),
  license: z.string(),
  requires: z.array(z.string()),
  state: ModelStateSchema,
  bytesOnDisk: z.number().nonnegative(),
  downloadSize: z.number().nonnegative(),
  sizeIsEstimate: z.boolean(),
  files: z.array(
    z.object({
      path: z.string(),
      present: z.boolean(),
      bytes: z.number().nonnegative(),
      partialBytes: z.number().nonnegative(),
      expectedSize: z.number().nullable(),
    }),
  ),
  /** The source needs a browser (OneDrive): download there, then import the file. */
  manualDownload: z.object({ page: z.string(), note: z.string() }).optional(),
  /** The live download, when one runs. */
  progress: ModelProgressSchema.nullable(),
  ep: ModelEpSchema,
});

/** A checkpoint imported outside the catalog (copied into the store, or registered where it lies). */
export const LocalModelSchema = z.object({
  id: z.string(),
  name: z.string(),
  path: z.string(),
  mode: z.enum(['copied', 'in-place']),
  detected: DetectedCheckpointSchema,
  bytesOnDisk: z.number().nonnegative(),
  addedAt: z.string(),
  ep: ModelEpSchema,
});

export const DetectResultSchema = z.discriminatedUnion('supported', [
  z.object({
    supported: z.literal(true),
    detected: DetectedCheckpointSchema,
    /** Catalog models this file can be imported as (same architecture, one weights file). */
    candidates: z.array(z.object({ id: z.string(), name: z.string() })),
  }),
  z.object({ supported: z.literal(false), message: z.string() }),
]);

export const modelCalls = {
  'models.catalog': defineCall({
    summary: 'Catalog models with their state on disk, live downloads, local imports, EPs and disk use.',
    input: NoInput,
    output: z.object({
      root: z.string(),
      models: z.array(CatalogModelSchema),
      local: z.array(LocalModelSchema),
      diskUsage: z.number().nonnegative(),
    }),
  }),
  'models.download': defineCall({
    summary: 'Starts downloading a catalog model (and what it requires) as a background job.',
    input: z.object({ id: ModelId }).strict(),
    output: z.object({ jobId: z.string() }),
  }),
  'models.resume': defineCall({
    summary: 'Resumes a paused download from its partial files.',
    input: z.object({ id: ModelId }).strict(),
    output: z.object({ jobId: z.string() }),
  }),
  'models.pause': defineCall({
    summary: 'Stops a download and keeps its partial files for resuming.',
    input: z.object({ id: ModelId }).strict(),
    output: z.object({ paused: z.boolean() }),
  }),
  'models.cancel': defineCall({
    summary: 'Stops a download and deletes its partial files; finished files stay.',
    input: z.object({ id: ModelId }).strict(),
    output: z.object({ cancelled: z.boolean() }),
  }),
  'models.delete': defineCall({
    summary:
      'Deletes a catalog model from disk, or removes a local import (its copy, never an in-place file).',
    input: z.object({ id: ModelId }).strict(),
    output: z.object({ freedBytes: z.number().nonnegative() }),
  }),
  'models.detect': defineCall({
    summary: 'Reads a local checkpoint and says which architecture it is, or why it is not supported.',
    input: z.object({ path: LocalPath }).strict(),
    output: DetectResultSchema,
  }),
  'models.import': defineCall({
    summary:
      'Imports a local checkpoint: copied into the store (as a catalog model when given) or registered in place.',
    input: z
      .object({
        path: LocalPath,
        /** Import as this catalog model's file; omitted: the catalog model whose hash it matches, else a local model. */
        modelId: ModelId.optional(),
        mode: z.enum(['copy', 'in-place']).default('copy'),
        name: z.string().trim().min(1).max(200).optional(),
      })
      .strict(),
    output: z.object({
      detected: DetectedCheckpointSchema,
      /** The catalog model it became a file of, or null for a local model. */
      modelId: z.string().nullable(),
      localId: z.string().nullable(),
      /** Byte-identical to the catalog's published file (null: no hash to compare, or a local model). */
      matchesCatalog: z.boolean().nullable(),
    }),
  }),
  'models.diskUsage': defineCall({
    summary: 'Bytes the model store occupies (paused downloads included) and free space beside it.',
    input: NoInput,
    output: z.object({
      root: z.string(),
      bytes: z.number().nonnegative(),
      free: z.number().nonnegative().nullable(),
    }),
  }),
};

export const modelEvents = {
  /** A model download progressed, paused, finished, failed or was cancelled. */
  'model.progress': ModelProgressSchema,
};
