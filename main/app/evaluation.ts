// The Evaluate view's reports: how well each scorer predicts the humans' choices (with a CSV of it), the
// held-out tables stored in trained scorers, and score histograms.
import path from 'node:path';
import { stringify } from 'csv-stringify/sync';
import type { CallOutput } from '../contract';
import { metricAccuracyReport } from '../services/evaluation';
import type { Library } from '../services/library';
import { listTrainedScorers } from '../services/preference-training';
import { orderScorers } from './library-views';

export async function accuracyReports(library: Library, modelTieThreshold: number) {
  const reports = [];
  // One report at a time: each reads every judgment, and many scorers should not hold them all at once.
  for (const modelId of orderScorers(await library.scores.models()))
    reports.push(await metricAccuracyReport(library, modelId, { modelTieThreshold }));
  return reports;
}

export async function accuracyCsv(library: Library, modelTieThreshold: number): Promise<string> {
  const rows = (await accuracyReports(library, modelTieThreshold)).flatMap((report) =>
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
  return stringify([['model', 'convention', 'accuracy', 'n', 'ci95_low', 'ci95_high', 'unscored'], ...rows]);
}

/** Every scorer trained in this library, with the held-out report saved in its header. */
export async function heldOutReports(libraryDir: string): Promise<CallOutput<'evaluation.heldOut'>> {
  const trained = await listTrainedScorers(path.join(libraryDir, 'scorers'));
  return {
    scorers: trained.flatMap(({ file, header }) => {
      const report = header.heldOut?.report;
      if (!report) return [];
      const { testPromptIds: _prompts, ...accuracy } = report;
      const id = path.basename(file, '.safetensors');
      return [
        { id, file, kind: header.kind, base: header.base.file, createdAt: header.createdAt, ...accuracy },
      ];
    }),
  };
}

export async function scoreHistograms(
  library: Library,
  promptId: number | undefined,
  binCount: number,
): Promise<CallOutput<'evaluation.histograms'>> {
  const scores = await library.scores.list(promptId === undefined ? {} : { promptId });
  const models = orderScorers([...new Set(scores.map((s) => s.modelId))]);
  return {
    prompts: await library.listPrompts(),
    histograms: models.map((modelId) => {
      const values = scores.filter((s) => s.modelId === modelId).map((s) => s.score);
      return { modelId, bins: histogram(values, binCount), n: values.length };
    }),
  };
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
