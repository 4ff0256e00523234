// The figures the Evaluate and quality views show, computed from a library.
import type { Library } from '../library';
import {
  fleissKappa,
  itemAgreement,
  krippendorffAlphaNominal,
  pairwiseCohensKappa,
  percentAgreement,
  type PercentAgreement,
} from './agreement';
import type { BootstrapOptions } from './bootstrap';
import { bradleyTerry } from './bradleyTerry';
import {
  contestsFromPairs,
  decisionTimes,
  goldAccuracy,
  humanPairsFromJudgments,
  leftPickRate,
  ratingsFromJudgments,
  type ComparisonView,
  type DecisionTime,
  type JudgmentView,
  type Rate,
} from './judgmentStats';
import { pairwiseAccuracy, rankingAccuracy, type AccuracyResult } from './metricAccuracy';

export interface AnnotatorQuality {
  annotatorId: number;
  name: string;
  judgments: number;
  leftPickRate: Rate;
  decisionTime: DecisionTime | null;
  gold: Rate | null;
}

export interface AgreementReport {
  percent: PercentAgreement;
  cohenKappa: { a: string; b: string; n: number; kappa: number | null }[];
  fleissKappa: number | null;
  krippendorffAlpha: number | null;
  leftPickRate: Rate;
  annotators: AnnotatorQuality[];
}

export interface MetricAccuracyReport {
  modelId: string;
  dropTies: AccuracyResult;
  halfCredit: AccuracyResult;
  /** HPD v2 convention over ranking judgments. */
  ranking: { accuracy: number | null; n: number };
}

async function load(
  library: Library,
): Promise<{ judgments: JudgmentView[]; comparisons: Map<number, ComparisonView> }> {
  const comparisons = new Map(
    (await library.listComparisons()).map((c) => [
      c.id,
      { id: c.id, promptId: c.promptId, imageIds: c.images.map((i) => i.id), goldImageId: c.goldImageId },
    ]),
  );
  return { judgments: await library.judgments.list(), comparisons };
}

export async function agreementReport(library: Library): Promise<AgreementReport> {
  const { judgments, comparisons } = await load(library);
  const ratings = ratingsFromJudgments(judgments, comparisons);
  const names = new Map((await library.annotators.list()).map((a) => [a.id, a.name]));
  const bias = leftPickRate(judgments);
  const times = decisionTimes(judgments);
  const gold = goldAccuracy(judgments, comparisons);
  return {
    percent: percentAgreement(ratings),
    cohenKappa: pairwiseCohensKappa(ratings).map((k) => ({
      a: names.get(Number(k.raterA)) ?? String(k.raterA),
      b: names.get(Number(k.raterB)) ?? String(k.raterB),
      n: k.n,
      kappa: k.kappa,
    })),
    fleissKappa: fleissKappa(ratings),
    krippendorffAlpha: krippendorffAlphaNominal(ratings).alpha,
    leftPickRate: bias.overall,
    annotators: [...new Set(judgments.map((j) => j.annotatorId))].map((annotatorId) => ({
      annotatorId,
      name: names.get(annotatorId) ?? String(annotatorId),
      judgments: judgments.filter((j) => j.annotatorId === annotatorId).length,
      leftPickRate: bias.perAnnotator.get(annotatorId) ?? { n: 0, rate: null },
      decisionTime: times.get(annotatorId) ?? null,
      gold: gold.get(annotatorId) ?? null,
    })),
  };
}

/** Per comparison with two or more labels: how many labels and the share of agreeing label pairs. */
export async function comparisonAgreement(
  library: Library,
): Promise<Map<number, { ratings: number; agreement: number }>> {
  const { judgments, comparisons } = await load(library);
  const perItem = itemAgreement(ratingsFromJudgments(judgments, comparisons));
  return new Map([...perItem].map(([item, value]) => [Number(item), value]));
}

/** Pairwise accuracy of one scorer's stored scores against the library's human judgments. */
export async function metricAccuracyReport(
  library: Library,
  modelId: string,
  options: { modelTieThreshold?: number; bootstrap?: BootstrapOptions } = {},
): Promise<MetricAccuracyReport> {
  const { judgments, comparisons } = await load(library);
  const scores = new Map(
    (await library.scores.list({ modelId })).map((s) => [`${s.imageId}:${s.promptId}`, s.score]),
  );
  const scoreOf = (imageId: number, promptId?: number) => scores.get(`${imageId}:${promptId}`);
  const pairs = humanPairsFromJudgments(judgments, comparisons);
  const common = { modelTieThreshold: options.modelTieThreshold ?? 0, bootstrap: options.bootstrap };
  const rankings = judgments
    .filter((j) => j.kind === 'ranking')
    .map((j) => ({ ranking: j.ranking!, promptId: comparisons.get(j.comparisonId)?.promptId }));
  return {
    modelId,
    dropTies: pairwiseAccuracy(pairs, scoreOf, { ...common, convention: 'drop-ties' }),
    halfCredit: pairwiseAccuracy(pairs, scoreOf, { ...common, convention: 'half-credit' }),
    ranking: rankingAccuracy(rankings, scoreOf),
  };
}

/** Bradley–Terry strengths of the images of one prompt from every human pair on that prompt. */
export async function bradleyTerryForPrompt(
  library: Library,
  promptId: number,
): Promise<Map<number, number>> {
  const { judgments, comparisons } = await load(library);
  const pairs = humanPairsFromJudgments(judgments, comparisons).filter((pair) => pair.promptId === promptId);
  return bradleyTerry(contestsFromPairs(pairs));
}
