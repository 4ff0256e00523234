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
    const me = await callerAnnotator(library, auth);
    const progress = await library.judgments.progress(me.id, overlap);
    const queued = await nextQueued(library, me.id, overlap, exclude);
    if (queued) return { item: await this.show(queued, shuffledOrder(queued), auth), progress };
    for (let draw = 0; draw < REDRAWS; draw++) {
      const assignment = await library.nextComparison(me.id, { overlap, goldRate });
      if (!assignment) break;
      if (exclude.includes(assignment.comparison.id)) continue;
      return { item: await this.show(assignment.comparison, assignment.shownOrder, auth), progress };
    }
    return { item: null, progress };
  }

  async submit(input: CallInput<'labeling.submit'>, auth: AuthInfo): Promise<CallOutput<'labeling.submit'>> {
    const library = this.app.library;
    const me = await callerAnnotator(library, auth);
    try {
      // A library write that resolved has committed (SQLite with synchronous = FULL, or PostgreSQL): when this
      // returns, the judgment is on disk.
      const { judgment, duplicate } = await library.submitJudgment({ ...input, annotatorId: me.id });
      return { judgmentId: judgment.id, duplicate };
    } catch (err) {
      throw new ApiError('bad_request', (err as Error).message);
    }
  }

  async undo(auth: AuthInfo): Promise<CallOutput<'labeling.undo'>> {
    const library = this.app.library;
    const me = await callerAnnotator(library, auth);
    const undone = await library.undoLastJudgment(me.id);
    const comparison = undone ? await library.getComparison(undone.comparisonId) : null;
    return {
      undone: undone ? { comparisonId: undone.comparisonId, kind: undone.kind } : null,
      item: comparison && undone ? await this.show(comparison, undone.shownOrder, auth) : null,
      progress: await this.progress(auth),
    };
  }

  async progress(auth: AuthInfo): Promise<CallOutput<'labeling.progress'>> {
    const library = this.app.library;
    const me = await callerAnnotator(library, auth);
    return library.judgments.progress(me.id, this.settings().overlap);
  }

  settings(): LabelingSettings {
    return readLabelingSettings(this.app.library.dir);
  }

  setSettings(settings: LabelingSettings): LabelingSettings {
    return writeLabelingSettings(this.app.library.dir, settings);
  }

  async setQueue(
    { comparisonIds, source }: CallInput<'labeling.setQueue'>,
    auth: AuthInfo,
  ): Promise<CallOutput<'labeling.setQueue'>> {
    const library = this.app.library;
    const unknown: number[] = [];
    for (const id of comparisonIds) if (!(await library.getComparison(id))) unknown.push(id);
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

  queue(auth: AuthInfo): Promise<CallOutput<'labeling.queue'>> {
    return this.queueStatus(readLabelQueue(this.app.library.dir), auth);
  }

  private async queueStatus(queue: LabelQueue | null, auth: AuthInfo) {
    if (!queue) return null;
    const library = this.app.library;
    const me = await callerAnnotator(library, auth);
    let left = 0;
    for await (const _comparison of queuedFor(library, queue, me.id, this.settings().overlap)) left++;
    return { source: queue.source, size: queue.comparisonIds.length, left };
  }

  /** The item in the order it is shown (any loaded scorer still missing its pairs starts on them); scores only
   *  for admins (annotators label blind, whatever the UI does). */
  private async show(
    comparison: Comparison,
    shownOrder: readonly number[],
    auth: AuthInfo,
  ): Promise<LabelItem> {
    await this.app.scorers.scoreComparison(comparison);
    const library = this.app.library;
    const scores = auth.role === 'annotator' ? new Map() : await scoreIndex(library, comparison.promptId);
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
async function nextQueued(
  library: Library,
  annotatorId: number,
  overlap: number,
  exclude: readonly number[],
) {
  const queue = readLabelQueue(library.dir);
  if (!queue) return null;
  for await (const comparison of queuedFor(library, queue, annotatorId, overlap))
    if (!exclude.includes(comparison.id)) return comparison;
  return null;
}
