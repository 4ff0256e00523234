// The one "fine-tune a scorer on the library's labels and save it" use case, for the API's worker task and the
// CLI alike: the saved header carries the held-out report, which Evaluate's held-out table reads.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { loadBaseModel, type TrainableKind } from './base-model';
import { saveTrainedScorer, type SavedScorerHeader } from './saved-scorer';
import { trainPreferenceModel, type TrainOptions, type TrainReport } from './trainer';

export interface TrainAndSaveOptions extends Omit<TrainOptions, 'base'> {
  kind: TrainableKind;
  /** The base checkpoint (HPS .pt, PickScore / CLIP safetensors). */
  basePath: string;
  /** The scorer file written. */
  out: string;
}

export async function trainAndSaveScorer(
  options: TrainAndSaveOptions,
): Promise<{ report: TrainReport; header: SavedScorerHeader }> {
  const { kind, basePath, out, ...train } = options;
  options.onProgress?.(`loading ${kind} from ${basePath}`);
  const base = await loadBaseModel(kind, basePath);
  const { report, trained } = await trainPreferenceModel({ ...train, base });
  await mkdir(path.dirname(out), { recursive: true });
  const header = await saveTrainedScorer(out, {
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
  return { report, header };
}
