// Preference training: fine-tune a CLIP-family scorer (HPS v1/v2, CLIP, PickScore) on a library's labels.
//
//   const base = await loadBaseModel('hps-v2', 'HPS_v2.1_compressed.pt');
//   const { report, trained } = await trainPreferenceModel({ library, base, vocab, settings: { blocks: 2, steps: 500, lr: 1e-5 },
//     onStep: ({ step, loss, lr }) => ... });
//   report.before / report.after: held-out pairwise accuracy (drop-ties and half-credit, bootstrap intervals);
//   report.others: the library's stored scorers on the same held-out pairs.
//   await saveTrainedScorer('mine.safetensors', { base, trained, settings: report.settings });
//   const scorer = await createTrainedScorer('mine.safetensors', { vocab });   // or createScorer({ kind: base kind, model: file })
//
// Label next: uncertaintyQueue / disagreementQueue (pure), labelNextByUncertainty (library + a Scorer), labelNextByDisagreement (the library's stored scores).
// The training step is one engine graph (graphs.ts: stepGraph); the frozen first depth − k blocks run once per
// image and prompt (encoded.ts), so a step runs only the last k blocks.
export { baseModelFromTensors, loadBaseModel, type BaseModel, type TrainableKind } from './base-model';
export {
  DEFAULT_SETTINGS,
  MAX_LOGIT_SCALE,
  trainPreferenceModel,
  type StepLog,
  type TrainOptions,
  type TrainReport,
  type TrainResult,
  type TrainSettings,
} from './trainer';
export {
  libraryLabels,
  splitByPrompt,
  judgmentTarget,
  type PreferenceExample,
  type PromptSplit,
} from './data';
export type { HeldOutAccuracy, ScorerAccuracy } from './evaluate';
export {
  HEADER_FORMAT,
  METADATA_KEY,
  createTrainedScorer,
  listTrainedScorers,
  readTrainedScorerHeader,
  saveTrainedScorer,
  type HeldOutReport,
  type SavedScorerFile,
  type SavedScorerHeader,
} from './saved-scorer';
export {
  beliefFromCosines,
  disagreementQueue,
  uncertaintyQueue,
  type ModelBelief,
  type QueueEntry,
  type ScorerOpinions,
} from './active-learning';
export { labelNextByDisagreement, labelNextByUncertainty } from './label-next';
export { trainableNames } from './graphs';
