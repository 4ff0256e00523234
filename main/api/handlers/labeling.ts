import type { Comparison, Library } from '../../services/library';
import type { ApiContext } from '../context';
import type { CallOutput } from '../../contract';
import { ApiError } from '../../contract/errors';
import { ScorerService } from '../scorer-service';
import { callerAnnotator, libraryAt } from '../library-access';
import {
  clearLabelQueue,
  queuedFor,
  readLabelQueue,
  shuffledOrder,
  writeLabelQueue,
  type LabelQueue,
} from './labeling-queue';
import { readLabelingSettings, writeLabelingSettings } from './labeling-settings';
import { imageView, orderScorers, scoreIndex } from './library-views';
import type { Handlers } from './types';

type LabelItem = NonNullable<CallOutput<'labeling.next'>['item']>;

/** How often to redraw when the assignment hands back an item the client already holds. */
const REDRAWS = 8;

/** The item in the order it is shown; scores only for admins (annotators label blind, whatever the UI does). */
async function labelItem(
  library: Library,
  comparison: Comparison,
  shownOrder: readonly number[],
  ctx: ApiContext,
): Promise<LabelItem> {
  const scores = ctx.auth.role === 'annotator' ? new Map() : scoreIndex(library, comparison.promptId);
  const models = orderScorers([...scores.keys()]);
  const byId = new Map(comparison.images.map((image) => [image.id, image]));
  const images = await Promise.all(
    shownOrder.map(async (id) => {
      const image = byId.get(id)!;
      const chips = models.flatMap((modelId) => {
        const score = scores.get(modelId)?.get(`${id}:${comparison.promptId}`);
        return score === undefined ? [] : [{ modelId, score }];
      });
      return { ...(await imageView(library, image, false)), scores: chips };
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

/** The first queued comparison open to this annotator and not already held by their client. */
function nextQueued(library: Library, annotatorId: number, overlap: number, exclude: readonly number[]) {
  const queue = readLabelQueue(library.dir);
  if (!queue) return null;
  for (const comparison of queuedFor(library, queue, annotatorId, overlap))
    if (!exclude.includes(comparison.id)) return comparison;
  return null;
}

function queueStatus(library: Library, queue: LabelQueue | null, annotatorId: number, overlap: number) {
  if (!queue) return null;
  const left = [...queuedFor(library, queue, annotatorId, overlap)].length;
  return { source: queue.source, size: queue.comparisonIds.length, left };
}

export const labelingHandlers = {
  'labeling.next': async ({ exclude }, ctx) => {
    const library = libraryAt(ctx.libraryDir);
    const { overlap, goldRate } = readLabelingSettings(library.dir);
    const me = callerAnnotator(library, ctx.auth);
    const progress = library.judgments.progress(me.id, overlap);
    const queued = nextQueued(library, me.id, overlap, exclude);
    if (queued) {
      ScorerService.of(ctx).scoreComparison(queued);
      return { item: await labelItem(library, queued, shuffledOrder(queued), ctx), progress };
    }
    for (let draw = 0; draw < REDRAWS; draw++) {
      const assignment = library.nextComparison(me.id, { overlap, goldRate });
      if (!assignment) break;
      if (exclude.includes(assignment.comparison.id)) continue;
      ScorerService.of(ctx).scoreComparison(assignment.comparison);
      return { item: await labelItem(library, assignment.comparison, assignment.shownOrder, ctx), progress };
    }
    return { item: null, progress };
  },

  'labeling.submit': async (input, ctx) => {
    const library = libraryAt(ctx.libraryDir);
    const me = callerAnnotator(library, ctx.auth);
    try {
      // Synchronous SQLite with synchronous = FULL: when this returns, the judgment is on disk.
      const { judgment, duplicate } = library.submitJudgment({ ...input, annotatorId: me.id });
      return { judgmentId: judgment.id, duplicate };
    } catch (err) {
      throw new ApiError('bad_request', (err as Error).message);
    }
  },

  'labeling.undo': async (_input, ctx) => {
    const library = libraryAt(ctx.libraryDir);
    const { overlap } = readLabelingSettings(library.dir);
    const me = callerAnnotator(library, ctx.auth);
    const undone = library.undoLastJudgment(me.id);
    const comparison = undone ? library.getComparison(undone.comparisonId) : null;
    return {
      undone: undone ? { comparisonId: undone.comparisonId, kind: undone.kind } : null,
      item: comparison && undone ? await labelItem(library, comparison, undone.shownOrder, ctx) : null,
      progress: library.judgments.progress(me.id, overlap),
    };
  },

  'labeling.progress': async (_input, ctx) => {
    const library = libraryAt(ctx.libraryDir);
    const { overlap } = readLabelingSettings(library.dir);
    return library.judgments.progress(callerAnnotator(library, ctx.auth).id, overlap);
  },

  'labeling.settings': async (_input, ctx) => readLabelingSettings(libraryAt(ctx.libraryDir).dir),

  'labeling.setSettings': async (settings, ctx) =>
    writeLabelingSettings(libraryAt(ctx.libraryDir).dir, settings),

  'labeling.setQueue': async ({ comparisonIds, source }, ctx) => {
    const library = libraryAt(ctx.libraryDir);
    const unknown = comparisonIds.filter((id) => !library.getComparison(id));
    if (unknown.length > 0)
      throw new ApiError(
        'bad_request',
        `no comparison with id ${unknown.slice(0, 5).join(', ')} in this library`,
      );
    const queue = { source, comparisonIds: [...new Set(comparisonIds)] };
    writeLabelQueue(library.dir, queue);
    const { overlap } = readLabelingSettings(library.dir);
    return queueStatus(library, queue, callerAnnotator(library, ctx.auth).id, overlap);
  },

  'labeling.clearQueue': async (_input, ctx) => ({ cleared: clearLabelQueue(libraryAt(ctx.libraryDir).dir) }),

  'labeling.queue': async (_input, ctx) => {
    const library = libraryAt(ctx.libraryDir);
    const { overlap } = readLabelingSettings(library.dir);
    return queueStatus(library, readLabelQueue(library.dir), callerAnnotator(library, ctx.auth).id, overlap);
  },
} satisfies Partial<Handlers>;
