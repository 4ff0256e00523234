// The labeling use cases: the next item for the caller (the admin's "label next" queue first, then blind
// assignment), judgments and undo, progress, the library's labeling policy and the queue itself.
import type { CallInput, CallOutput } from '../../contract';
import { ApiError } from '../../contract/errors';
import type { Comparison, Library } from '../../services/library';
import type { App } from '../app';
import { callerAnnotator, type AuthInfo } from '../caller';
import { imageView, orderScorers, scoreIndex } from '../library-views';
import {
  clearLabelQueue,
  queuedFor,
  readLabelQueue,
  shuffledOrder,
  writeLabelQueue,
  type LabelQueue,
} from './labeling-queue';
import { readLabelingSettings, writeLabelingSettings, type LabelingSettings } from './labeling-settings';

type LabelItem = NonNullable<CallOutput<'labeling.next'>['item']>;

/** How often to redraw when the assignment hands back an item the client already holds. */
const REDRAWS = 8;

export class Labeling {
  constructor(private readonly app: App) {}

  async next(exclude: readonly number[], auth: AuthInfo): Promise<CallOutput<'labeling.next'>> {
    const library = this.app.library;
    const { overlap, goldRate } = this.settings();
    const me = callerAnnotator(library, auth);
    const progress = library.judgments.progress(me.id, overlap);
    const queued = nextQueued(library, me.id, overlap, exclude);
    if (queued) return { item: await this.show(queued, shuffledOrder(queued), auth), progress };
    for (let draw = 0; draw < REDRAWS; draw++) {
      const assignment = library.nextComparison(me.id, { overlap, goldRate });
      if (!assignment) break;
      if (exclude.includes(assignment.comparison.id)) continue;
      return { item: await this.show(assignment.comparison, assignment.shownOrder, auth), progress };
    }
    return { item: null, progress };
  }

  submit(input: CallInput<'labeling.submit'>, auth: AuthInfo): CallOutput<'labeling.submit'> {
    const library = this.app.library;
    const me = callerAnnotator(library, auth);
    try {
      // Synchronous SQLite with synchronous = FULL: when this returns, the judgment is on disk.
      const { judgment, duplicate } = library.submitJudgment({ ...input, annotatorId: me.id });
      return { judgmentId: judgment.id, duplicate };
    } catch (err) {
      throw new ApiError('bad_request', (err as Error).message);
    }
  }

  async undo(auth: AuthInfo): Promise<CallOutput<'labeling.undo'>> {
    const library = this.app.library;
    const me = callerAnnotator(library, auth);
    const undone = library.undoLastJudgment(me.id);
    const comparison = undone ? library.getComparison(undone.comparisonId) : null;
    return {
      undone: undone ? { comparisonId: undone.comparisonId, kind: undone.kind } : null,
      item: comparison && undone ? await this.show(comparison, undone.shownOrder, auth) : null,
      progress: this.progress(auth),
    };
  }

  progress(auth: AuthInfo): CallOutput<'labeling.progress'> {
    const library = this.app.library;
    return library.judgments.progress(callerAnnotator(library, auth).id, this.settings().overlap);
  }

  settings(): LabelingSettings {
    return readLabelingSettings(this.app.library.dir);
  }

  setSettings(settings: LabelingSettings): LabelingSettings {
    return writeLabelingSettings(this.app.library.dir, settings);
  }

  setQueue(
    { comparisonIds, source }: CallInput<'labeling.setQueue'>,
    auth: AuthInfo,
  ): CallOutput<'labeling.setQueue'> {
    const library = this.app.library;
    const unknown = comparisonIds.filter((id) => !library.getComparison(id));
    if (unknown.length > 0)
      throw new ApiError(
        'bad_request',
        `no comparison with id ${unknown.slice(0, 5).join(', ')} in this library`,
      );
    const queue = { source, comparisonIds: [...new Set(comparisonIds)] };
    writeLabelQueue(library.dir, queue);
    return this.queueStatus(queue, auth);
  }

  clearQueue(): boolean {
    return clearLabelQueue(this.app.library.dir);
  }

  queue(auth: AuthInfo): CallOutput<'labeling.queue'> {
    return this.queueStatus(readLabelQueue(this.app.library.dir), auth);
  }

  private queueStatus(queue: LabelQueue | null, auth: AuthInfo) {
    if (!queue) return null;
    const library = this.app.library;
    const me = callerAnnotator(library, auth);
    const left = [...queuedFor(library, queue, me.id, this.settings().overlap)].length;
    return { source: queue.source, size: queue.comparisonIds.length, left };
  }

  /** The item in the order it is shown (any loaded scorer still missing its pairs starts on them); scores only
   *  for admins (annotators label blind, whatever the UI does). */
  private async show(
    comparison: Comparison,
    shownOrder: readonly number[],
    auth: AuthInfo,
  ): Promise<LabelItem> {
    this.app.scorers.scoreComparison(comparison);
    const library = this.app.library;
    const scores = auth.role === 'annotator' ? new Map() : scoreIndex(library, comparison.promptId);
    const models = orderScorers([...scores.keys()]);
    const byId = new Map(comparison.images.map((image) => [image.id, image]));
    const images = await Promise.all(
      shownOrder.map(async (id) => {
        const chips = models.flatMap((modelId) => {
          const score = scores.get(modelId)?.get(`${id}:${comparison.promptId}`);
          return score === undefined ? [] : [{ modelId, score }];
        });
        return { ...(await imageView(library, byId.get(id)!, false)), scores: chips };
      }),
    );
    return {
      comparisonId: comparison.id,
      prompt: comparison.prompt,
      promptId: comparison.promptId,
      images,
      shownOrder: [...shownOrder],
    };
  }
}

/** The first queued comparison open to this annotator and not already held by their client. */
function nextQueued(library: Library, annotatorId: number, overlap: number, exclude: readonly number[]) {
  const queue = readLabelQueue(library.dir);
  if (!queue) return null;
  for (const comparison of queuedFor(library, queue, annotatorId, overlap))
    if (!exclude.includes(comparison.id)) return comparison;
  return null;
}
