// Runs in a worker: preference-model fine-tuning of a CLIP-family scorer on a library's labels, saved as a
// scorer file; and the active-learning order of the unlabeled comparisons under a scorer.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { Library } from '../../../services/library';
import {
  createTrainedScorer,
  labelNextByUncertainty,
  loadBaseModel,
  readTrainedScorerHeader,
  saveTrainedScorer,
  trainPreferenceModel,
  type StepLog,
  type TrainableKind,
  type TrainReport,
} from '../../../services/preference-training';
import { createScorer } from '../../../services/scoring';
import type { ExecutionProvider } from '../../../engine/runtime';
import type { TaskChannel } from './task-worker';

export interface ScorerTaskInput {
  library: string;
  kind: TrainableKind;
  base: string;
  vocab: string;
  ep: ExecutionProvider;
  out: string;
  settings: {
    blocks: number;
    steps: number;
    lr: number;
    batchSize: number;
    seed: number;
    testFraction: number;
  };
}

export type ScorerTaskEvent = { type: 'step'; log: StepLog } | { type: 'message'; message: string };

export async function trainScorer(
  input: ScorerTaskInput,
  channel: TaskChannel<ScorerTaskEvent>,
): Promise<Omit<TrainReport, 'timings' | 'testPromptIds'>> {
  const library = Library.open(input.library);
  try {
    channel.emit({ type: 'message', message: 'loading the base scorer' });
    const base = await loadBaseModel(input.kind, input.base);
    const { report, trained } = await trainPreferenceModel({
      library,
      base,
      vocab: input.vocab,
      ep: input.ep,
      settings: input.settings,
      signal: channel.signal,
      onStep: (log) => channel.emit({ type: 'step', log }),
      onProgress: (message) => channel.emit({ type: 'message', message }),
    });
    await mkdir(path.dirname(input.out), { recursive: true });
    await saveTrainedScorer(input.out, {
      base,
      trained,
      settings: { ...report.settings },
      heldOut: {
        before: report.before.dropTies.accuracy,
        after: report.after.dropTies.accuracy,
        pairs: report.heldOutPairs,
        report: {
          trainComparisons: report.trainComparisons,
          testComparisons: report.testComparisons,
          testPromptIds: report.testPromptIds,
          before: report.before,
          after: report.after,
          others: report.others,
        },
      },
    });
    const { timings: _timings, testPromptIds: _ids, ...rest } = report;
    return rest;
  } finally {
    library.close();
  }
}

export interface LabelNextInput {
  library: string;
  kind: TrainableKind;
  model: string;
  vocab: string;
  limit: number;
}

export async function labelNext(
  input: LabelNextInput,
): Promise<{ comparisonId: number; priority: number }[]> {
  const library = Library.open(input.library);
  // A saved fine-tuned scorer names its own kind; a plain checkpoint uses the kind given.
  const scorer = (await readTrainedScorerHeader(input.model).catch(() => null))
    ? await createTrainedScorer(input.model, { vocab: input.vocab, inThread: true })
    : await createScorer({ kind: input.kind, model: input.model, vocab: input.vocab, inThread: true });
  try {
    return await labelNextByUncertainty(library, scorer, { limit: input.limit });
  } finally {
    await scorer.close();
    library.close();
  }
}
