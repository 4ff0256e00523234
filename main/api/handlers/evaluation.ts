import { addAnnotator, annotatorList } from '../../app/annotators';
import { accuracyCsv, accuracyReports, heldOutReports, scoreHistograms } from '../../app/evaluation';
import { agreementReport } from '../../services/evaluation';
import type { Handlers } from './types';

export const evaluationHandlers = {
  'evaluation.agreement': async (_input, { app }) => agreementReport(app.library),
  'evaluation.metricAccuracy': async ({ modelTieThreshold }, { app }) => ({
    models: await accuracyReports(app.library, modelTieThreshold),
  }),
  'evaluation.heldOut': async (_input, { app }) => heldOutReports(app.libraryDir),
  'evaluation.histograms': async ({ promptId, bins }, { app }) =>
    scoreHistograms(app.library, promptId, bins),
  'evaluation.csv': async ({ modelTieThreshold }, { app }) => ({
    csv: await accuracyCsv(app.library, modelTieThreshold),
  }),
  'annotators.list': async (_input, { app }) => annotatorList(app.library),
  'annotators.add': async (input, { app }) => addAnnotator(app.library, input),
} satisfies Partial<Handlers>;
