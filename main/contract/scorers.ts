// Loaded scorers (the live readouts' models): load from the model store or a path, unload, score the library
// in the background (chips arrive as `score.updated`), and near-duplicates by image-embedding cosine.
import { z } from 'zod';
import { defineCall, LocalPath, NoInput } from './define';
import { LibraryImageSchema } from './library';
import { ComputePrecisionSchema, ExecutionProviderSchema, ScorerKindSchema } from './names';

export const LoadedScorerSchema = z.object({
  /** The model id its scores are stored under (catalog id, or the file's name): the chips' key. */
  id: z.string(),
  kind: ScorerKindSchema,
  /** The checkpoint file or folder. */
  model: z.string(),
  /** The tokenizer (BPE vocabulary file or tokenizer folder); null for the aesthetic head. */
  vocab: z.string().nullable(),
  /** The EP the image tower actually runs on (after any fallback). */
  ep: z.string(),
  precision: ComputePrecisionSchema,
  /** The background scoring job now running for it, if any. */
  jobId: z.string().nullable(),
  /** Library images it could not read: later runs skip them until scoreLibrary with retryFailed. */
  failed: z.number().int().min(0),
});

export const ScorerLoadInputSchema = z
  .object({
    /** Default: the catalog entry's scorer kind, else inferred from the checkpoint's layout. */
    kind: ScorerKindSchema.optional(),
    /** An installed catalog model or an imported local model (`local-…`). */
    modelId: z.string().min(1).max(200).optional(),
    /** A checkpoint file or folder outside the store. */
    path: LocalPath.optional(),
    /** aesthetic: the MLP head, as an installed or local model, or a path. */
    headModelId: z.string().min(1).max(200).optional(),
    headPath: LocalPath.optional(),
    /** bpe_simple_vocab_16e6.txt.gz or a tokenizer folder; default: the installed catalog vocab. */
    vocab: LocalPath.optional(),
    ep: ExecutionProviderSchema.optional(),
    precision: ComputePrecisionSchema.optional(),
    /** Score the library's unscored (image, prompt) pairs right after loading (default true). */
    scoreLibrary: z.boolean().default(true),
  })
  .strict()
  .refine((input) => (input.modelId === undefined) !== (input.path === undefined), {
    message: 'give exactly one of modelId and path',
  });

export const scorerCalls = {
  'scorers.list': defineCall({
    summary: 'The loaded scorers, HPS v2.1 first',
    input: NoInput,
    output: z.object({ scorers: z.array(LoadedScorerSchema) }),
  }),
  'scorers.load': defineCall({
    summary: 'Load a scorer from the model store or a path and score the library in the background',
    input: ScorerLoadInputSchema,
    output: z.object({ scorer: LoadedScorerSchema }),
  }),
  'scorers.unload': defineCall({
    summary: 'Stop a scorer’s background job and free it',
    input: z.object({ id: z.string().min(1) }).strict(),
    output: z.object({ unloaded: z.boolean() }),
  }),
  'scorers.scoreLibrary': defineCall({
    summary: 'Score the library’s (image, prompt) pairs that lack a score, with one loaded scorer or all',
    input: z
      .object({
        id: z.string().min(1).optional(),
        /** Also try the images that could not be read before (default: they are skipped). */
        retryFailed: z.boolean().default(false),
      })
      .strict(),
    output: z.object({ jobIds: z.array(z.string()) }),
  }),
  'library.nearDuplicates': defineCall({
    summary: 'Groups of images whose image embeddings (a loaded scorer’s) have cosine ≥ threshold',
    input: z
      .object({ scorerId: z.string().min(1), threshold: z.number().min(0).max(1).default(0.95) })
      .strict(),
    output: z.object({
      groups: z.array(
        z.object({
          images: z.array(LibraryImageSchema),
          /** Comparisons that use any image of the group. */
          comparisonIds: z.array(z.number().int()),
          /** The lowest pairwise cosine linking the group (single linkage). */
          minCosine: z.number(),
        }),
      ),
      /** Images that could not be read. */
      failed: z.array(z.number().int()),
    }),
  }),
};
