// Evaluation calls: inter-annotator agreement, metric accuracy per scorer, score histograms, annotators.
import { z } from 'zod';
import { defineCall, NoInput } from './define';
import { RoleSchema } from './library';
import { TieConventionSchema } from './names';

const RateSchema = z.object({ n: z.number().int(), rate: z.number().nullable() });

export const AgreementReportSchema = z.object({
  percent: z.object({ agreement: z.number().nullable(), pairs: z.number().int(), items: z.number().int() }),
  cohenKappa: z.array(
    z.object({ a: z.string(), b: z.string(), n: z.number().int(), kappa: z.number().nullable() }),
  ),
  fleissKappa: z.number().nullable(),
  krippendorffAlpha: z.number().nullable(),
  leftPickRate: RateSchema,
  annotators: z.array(
    z.object({
      annotatorId: z.number().int(),
      name: z.string(),
      judgments: z.number().int(),
      leftPickRate: RateSchema,
      decisionTime: z.object({ n: z.number().int(), medianMs: z.number(), meanMs: z.number() }).nullable(),
      gold: RateSchema.nullable(),
    }),
  ),
});

export const AccuracySchema = z.object({
  convention: TieConventionSchema,
  accuracy: z.number().nullable(),
  n: z.number().int(),
  interval: z.tuple([z.number(), z.number()]).nullable(),
  unscored: z.number().int(),
});

export const MetricAccuracySchema = z.object({
  modelId: z.string(),
  dropTies: AccuracySchema,
  halfCredit: AccuracySchema,
  ranking: z.object({ accuracy: z.number().nullable(), n: z.number().int() }),
});

/** Accuracy on held-out prompts under both tie conventions. */
export const HeldOutAccuracySchema = z.object({ dropTies: AccuracySchema, halfCredit: AccuracySchema });

/** A scorer fine-tuned on the library, before and after, next to the other scorers on the same held-out pairs. */
export const HeldOutResultSchema = z.object({
  trainComparisons: z.number().int(),
  testComparisons: z.number().int(),
  before: HeldOutAccuracySchema,
  after: HeldOutAccuracySchema,
  others: z.array(HeldOutAccuracySchema.extend({ modelId: z.string() })),
});

export const HeldOutScorerSchema = HeldOutResultSchema.extend({
  /** The id its live scores are stored under once loaded (the file's name). */
  id: z.string(),
  file: z.string(),
  kind: z.string(),
  /** The base checkpoint's file name. */
  base: z.string(),
  createdAt: z.string(),
});

export const HistogramSchema = z.object({
  modelId: z.string(),
  bins: z.array(z.object({ from: z.number(), to: z.number(), count: z.number().int() })),
  n: z.number().int(),
});

export const AnnotatorSchema = z.object({
  id: z.number().int(),
  name: z.string(),
  role: RoleSchema,
  canLogin: z.boolean(),
  judgments: z.number().int(),
});

export const evaluationCalls = {
  'evaluation.agreement': defineCall({
    summary:
      "Agreement (percent, Cohen's κ per pair, Fleiss' κ, Krippendorff's α), position bias, time, gold.",
    input: NoInput,
    output: AgreementReportSchema,
  }),
  'evaluation.metricAccuracy': defineCall({
    summary:
      'Per scorer: pairwise accuracy against human judgments under both tie conventions, n and 95% CI.',
    input: z.object({ modelTieThreshold: z.number().min(0).default(0) }).strict(),
    output: z.object({ models: z.array(MetricAccuracySchema) }),
  }),
  'evaluation.heldOut': defineCall({
    summary:
      "The library's trained scorers on the prompts held out from their training: accuracy before and after fine-tuning, next to the other scorers on the same pairs.",
    input: NoInput,
    output: z.object({ scorers: z.array(HeldOutScorerSchema) }),
  }),
  'evaluation.histograms': defineCall({
    summary: 'Score histograms per scorer, over all images or one prompt.',
    input: z
      .object({ promptId: z.number().int().optional(), bins: z.number().int().min(2).max(100).default(20) })
      .strict(),
    output: z.object({
      prompts: z.array(z.object({ id: z.number().int(), text: z.string() })),
      histograms: z.array(HistogramSchema),
    }),
  }),
  'evaluation.csv': defineCall({
    summary: 'The metric-accuracy table as CSV text (one row per scorer and convention).',
    input: z.object({ modelTieThreshold: z.number().min(0).default(0) }).strict(),
    output: z.object({ csv: z.string() }),
  }),
  'annotators.list': defineCall({
    summary: 'Everyone who labels this library, with their judgment counts.',
    input: NoInput,
    output: z.object({ annotators: z.array(AnnotatorSchema) }),
  }),
  'annotators.add': defineCall({
    summary: 'Adds an annotator and returns their login token (shown once; only its hash is stored).',
    input: z.object({ name: z.string().trim().min(1), role: RoleSchema.default('annotator') }).strict(),
    output: z.object({ annotator: AnnotatorSchema, token: z.string() }),
  }),
};
