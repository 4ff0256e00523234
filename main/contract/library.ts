// Library calls: status, background imports, exports, the curation grid and its bulk actions.
import { z } from 'zod';
import { defineCall, NoInput } from './define';

/** An image as the UI needs it: paths are relative to the library folder (the client turns them into URLs). */
export const LibraryImageSchema = z.object({
  id: z.number().int(),
  hash: z.string(),
  width: z.number().int(),
  height: z.number().int(),
  path: z.string(),
  /** Cached thumbnail (webp); null when it could not be made. */
  thumbPath: z.string().nullable(),
});

export const RoleSchema = z.enum(['admin', 'annotator']);

export const MeSchema = z.object({
  annotatorId: z.number().int(),
  name: z.string(),
  role: RoleSchema,
});

export const LibraryStatusSchema = z.object({
  me: MeSchema,
  stats: z.object({
    prompts: z.number().int(),
    images: z.number().int(),
    comparisons: z.number().int(),
    judgments: z.number().int(),
    annotators: z.number().int(),
  }),
  /** Scorers loaded now or with at least one stored score, HPS v2.1 first. Empty until a scorer is loaded. */
  scorers: z.array(z.string()),
  tags: z.array(z.string()),
});

const path = z.string().trim().min(1, 'a path is required');

export const ImportRequestSchema = z.discriminatedUnion('format', [
  z
    .object({
      format: z.literal('folder'),
      folder: path,
      prompts: path,
      /** 'pairs': every pair of a prompt's images is one 2-up comparison; 'group': one N-way comparison. */
      split: z.enum(['group', 'pairs']).default('group'),
    })
    .strict(),
  z.object({ format: z.literal('hpd'), file: path, imageRoot: path.optional() }).strict(),
  z.object({ format: z.literal('pickapic'), file: path }).strict(),
  z.object({ format: z.literal('pairs'), file: path }).strict(),
]);

export const ImportReportSchema = z.object({
  format: z.string(),
  records: z.number().int(),
  imagesAdded: z.number().int(),
  imagesDuplicate: z.number().int(),
  comparisonsAdded: z.number().int(),
  comparisonsDuplicate: z.number().int(),
  judgmentsAdded: z.number().int(),
  judgmentsDuplicate: z.number().int(),
  errors: z.array(z.object({ file: z.string(), message: z.string() })),
});

export const ExportFormatSchema = z.enum(['pairs-jsonl', 'hpd-v2', 'pickapic', 'scores-csv']);

export const ExportReportSchema = z.object({
  format: z.string(),
  file: z.string(),
  records: z.number().int(),
  imagesCopied: z.number().int(),
  skipped: z.array(z.object({ reason: z.string(), count: z.number().int() })),
});

export const LabelStateSchema = z.enum(['unlabeled', 'labeled', 'excluded']);

export const ComparisonQuerySchema = z
  .object({
    text: z.string().optional(),
    tag: z.string().optional(),
    state: LabelStateSchema.optional(),
    gold: z.boolean().optional(),
    /** Keep items whose best image score under `scoreModel` lies in [minScore, maxScore]. */
    scoreModel: z.string().optional(),
    minScore: z.number().optional(),
    maxScore: z.number().optional(),
    /** Keep items with two or more labels whose agreement is at most this (find disputed items). */
    maxAgreement: z.number().min(0).max(1).optional(),
    sort: z.enum(['id', 'prompt', 'score', 'labels', 'agreement']).default('id'),
    descending: z.boolean().default(false),
    offset: z.number().int().min(0).default(0),
    limit: z.number().int().min(1).max(500).default(60),
  })
  .strict();

export const CurationItemSchema = z.object({
  id: z.number().int(),
  prompt: z.string(),
  promptId: z.number().int(),
  group: z.string().nullable(),
  images: z.array(LibraryImageSchema),
  goldImageId: z.number().int().nullable(),
  excluded: z.boolean(),
  tags: z.array(z.string()),
  /** Non-skip judgments. */
  labels: z.number().int(),
  /** Share of agreeing label pairs; null with fewer than two labels. */
  agreement: z.number().nullable(),
  /** Best image score per scorer. */
  scores: z.record(z.string(), z.number()),
});

const ids = z.array(z.number().int()).min(1, 'select at least one comparison').max(10_000);

export const libraryCalls = {
  'library.status': defineCall({
    summary: 'Who is calling, library counts, scorers with stored scores and tags.',
    input: NoInput,
    output: LibraryStatusSchema,
    access: 'annotator',
  }),
  'library.import': defineCall({
    summary: 'Starts an import as a background job (progress on job.progress); fetch its report when done.',
    input: ImportRequestSchema,
    output: z.object({ jobId: z.string() }),
  }),
  'library.importReport': defineCall({
    summary: 'The report of an import job (null while it runs): counts and the per-file error list.',
    input: z.object({ jobId: z.string().min(1) }).strict(),
    output: z.object({ report: ImportReportSchema.nullable(), error: z.string().nullable() }),
  }),
  'library.export': defineCall({
    summary: 'Writes the library to a file on the machine running the studio.',
    input: z.object({ format: ExportFormatSchema, out: path, modelId: z.string().optional() }).strict(),
    output: ExportReportSchema,
  }),
  'library.comparisons': defineCall({
    summary: 'The curation grid: comparisons filtered, sorted and paged, with thumbnails, labels and scores.',
    input: ComparisonQuerySchema,
    output: z.object({ total: z.number().int(), items: z.array(CurationItemSchema) }),
  }),
  'library.tag': defineCall({
    summary: 'Adds (or with remove, removes) a tag on the selected comparisons.',
    input: z
      .object({ comparisonIds: ids, tag: z.string().trim().min(1), remove: z.boolean().default(false) })
      .strict(),
    output: z.object({ changed: z.number().int() }),
  }),
  'library.exclude': defineCall({
    summary: 'Sets the selected comparisons aside from labeling (or brings them back).',
    input: z.object({ comparisonIds: ids, excluded: z.boolean() }).strict(),
    output: z.object({ changed: z.number().int() }),
  }),
  'library.delete': defineCall({
    summary: 'Deletes the selected comparisons and their judgments (images stay).',
    input: z.object({ comparisonIds: ids }).strict(),
    output: z.object({ deleted: z.number().int() }),
  }),
  'library.setGold': defineCall({
    summary: 'Marks the known best image of a comparison (a gold item), or clears it with null.',
    input: z.object({ comparisonId: z.number().int(), imageId: z.number().int().nullable() }).strict(),
    output: z.object({ ok: z.literal(true) }),
  }),
  'library.duplicates': defineCall({
    summary:
      'Exact duplicates by content hash: images used by more than one comparison, and comparisons with the same image set.',
    input: NoInput,
    output: z.object({
      images: z.array(z.object({ image: LibraryImageSchema, comparisonIds: z.array(z.number().int()) })),
      comparisonSets: z.array(
        z.object({ comparisonIds: z.array(z.number().int()), prompts: z.array(z.string()) }),
      ),
    }),
  }),
};
