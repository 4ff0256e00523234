// Runs in a worker: preference-model fine-tuning of a CLIP-family scorer on a library's labels, saved as a
// scorer file; and the active-learning order of the unlabeled comparisons under a scorer.
import { Library, type LibraryLocation } from '../../services/library';
import {
  createTrainedScorer,
  labelNextByUncertainty,
  readTrainedScorerHeader,
  type StepLog,
  type TrainableKind,
  type TrainReport,
} from '../../services/preference-training';
import { trainAndSaveScorer } from '../../services/preference-training/train-and-save';
import { createScorer } from '../../services/scoring';
import type { ExecutionProvider } from '../../engine/runtime';
import type { TaskChannel } from './task-worker';

export interface ScorerTaskInput {
  library: LibraryLocation;
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
  const library = await Library.open(input.library.dir, input.library);
  try {
    const { report } = await trainAndSaveScorer({
      library,
      kind: input.kind,
      basePath: input.base,
      out: input.out,
      vocab: input.vocab,
      ep: input.ep,
      settings: input.settings,
      signal: channel.signal,
      onStep: (log) => channel.emit({ type: 'step', log }),
      onProgress: (message) => channel.emit({ type: 'message', message }),
    });
    const { timings: _timings, testPromptIds: _ids, ...rest } = report;
    return rest;
  } finally {
    await library.close();
  }
}

export interface LabelNextInput {
  library: LibraryLocation;
  kind: TrainableKind;
  model: string;
  vocab: string;
  limit: number;
}

export async function labelNext(
  input: LabelNextInput,
): Promise<{ comparisonId: number; priority: number }[]> {
  const library = await Library.open(input.library.dir, input.library);
  // A saved fine-tuned scorer names its own kind; a plain checkpoint uses the kind given.
  const scorer = (await readTrainedScorerHeader(input.model).catch(() => null))
    ? await createTrainedScorer(input.model, { vocab: input.vocab, inThread: true })
    : await createScorer({ kind: input.kind, model: input.model, vocab: input.vocab, inThread: true });
  try {
    return await labelNextByUncertainty(library, scorer, { limit: input.limit });
  } finally {
    await scorer.close();
    await library.close();
  }
}
