import path from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { agreementReport, metricAccuracyReport } from '../../services/evaluation';
import type { Library } from '../../services/library';
import { listTrainedScorers } from '../../services/preference-training';
import { ApiError } from '../../contract/errors';
import { libraryAt } from '../library-access';
import { orderScorers } from './library-views';
import type { Handlers } from './types';

function accuracyReports(library: Library, modelTieThreshold: number) {
  return orderScorers(library.catalog.scoredModels()).map((modelId) =>
    metricAccuracyReport(library, modelId, { modelTieThreshold }),
  );
}

function histogram(values: readonly number[], binCount: number) {
  if (values.length === 0) return [];
  const min = Math.min(...values);
  const max = Math.max(...values);
  // All-equal scores still get one visible bin.
  const width = max > min ? (max - min) / binCount : 1;
  const bins = Array.from({ length: max > min ? binCount : 1 }, (_, i) => ({
    from: min + i * width,
    to: min + (i + 1) * width,
    count: 0,
  }));
  for (const v of values) bins[Math.min(bins.length - 1, Math.floor((v - min) / width))]!.count++;
  return bins;
}

export const evaluationHandlers = {
  'evaluation.agreement': async (_input, ctx) => agreementReport(libraryAt(ctx.libraryDir)),

  'evaluation.metricAccuracy': async ({ modelTieThreshold }, ctx) => ({
    models: accuracyReports(libraryAt(ctx.libraryDir), modelTieThreshold),
  }),

  'evaluation.heldOut': async (_input, ctx) => ({
    scorers: (await listTrainedScorers(path.join(ctx.libraryDir, 'scorers'))).flatMap(({ file, header }) => {
      const report = header.heldOut?.report;
      if (!report) return [];
      const { testPromptIds: _prompts, ...accuracy } = report;
      const id = path.basename(file, '.safetensors');
      return [
        { id, file, kind: header.kind, base: header.base.file, createdAt: header.createdAt, ...accuracy },
      ];
    }),
  }),

  'evaluation.histograms': async ({ promptId, bins }, ctx) => {
    const library = libraryAt(ctx.libraryDir);
    const scores = library.catalog.scores(promptId === undefined ? {} : { promptId });
    const models = orderScorers([...new Set(scores.map((s) => s.modelId))]);
    return {
      prompts: library.listPrompts(),
      histograms: models.map((modelId) => {
        const values = scores.filter((s) => s.modelId === modelId).map((s) => s.score);
        return { modelId, bins: histogram(values, bins), n: values.length };
      }),
    };
  },

  'evaluation.csv': async ({ modelTieThreshold }, ctx) => {
    const rows = accuracyReports(libraryAt(ctx.libraryDir), modelTieThreshold).flatMap((report) =>
      [report.dropTies, report.halfCredit].map((r) => [
        report.modelId,
        r.convention,
        r.accuracy ?? '',
        r.n,
        r.interval?.[0] ?? '',
        r.interval?.[1] ?? '',
        r.unscored,
      ]),
    );
    return {
      csv: stringify([
        ['model', 'convention', 'accuracy', 'n', 'ci95_low', 'ci95_high', 'unscored'],
        ...rows,
      ]),
    };
  },

  'annotators.list': async (_input, ctx) => {
    const library = libraryAt(ctx.libraryDir);
    const counts = new Map<number, number>();
    for (const j of library.judgments.list()) counts.set(j.annotatorId, (counts.get(j.annotatorId) ?? 0) + 1);
    return {
      annotators: library.annotators.list().map((a) => ({ ...a, judgments: counts.get(a.id) ?? 0 })),
    };
  },

  'annotators.add': async ({ name, role }, ctx) => {
    const library = libraryAt(ctx.libraryDir);
    try {
      const { annotator, token } = library.createAnnotator(name, role);
      return { annotator: { ...annotator, judgments: 0 }, token };
    } catch (err) {
      throw new ApiError('bad_request', (err as Error).message);
    }
  },
} satisfies Partial<Handlers>;
