// Pairwise (and N-way) labeling, keyboard first: the judgment is committed before the next item shows, and
// the next item is already fetched and decoded so it appears at once.
import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useLayoutEffect, useMemo, useState } from 'react';
import { callKey, useCall, useEvent } from '../api/hooks';
import { EmptyState } from '../components/EmptyState';
import { SessionBar } from '../components/compare/SessionBar';
import { ShortcutSheet } from '../components/compare/ShortcutSheet';
import { Stage } from '../components/compare/Stage';
import { useLabelQueue, type Decision, type LabelItem } from '../components/compare/useLabelQueue';
import { useSyncedZoom } from '../components/compare/useSyncedZoom';
import '../components/compare/compare.css';
import '../components/form.css';

type NwayMode = 'best' | 'order';

/** Keys go to text fields and selects; a focused checkbox or button (e.g. Blind mode) keeps the shortcuts. */
const isTyping = (target: EventTarget | null) =>
  target instanceof HTMLElement &&
  (target.isContentEditable ||
    ['TEXTAREA', 'SELECT'].includes(target.tagName) ||
    (target instanceof HTMLInputElement && !['checkbox', 'radio', 'button'].includes(target.type)));

export function Compare() {
  const status = useCall('library.status', {});
  const queryClient = useQueryClient();
  const isAdmin = status.data?.me.role === 'admin';
  const [blind, setBlind] = useState(true);
  const [sheet, setSheet] = useState(false);
  const [mode, setMode] = useState<NwayMode>('best');
  // The order picked so far in N-way ordering, for one comparison (a new item starts empty).
  const [picked, setPicked] = useState<{ comparisonId: number; ids: number[] } | null>(null);
  const queue = useLabelQueue();
  const labelNext = useCall('labeling.queue', {});
  const judged = queue.progress?.judged;
  const refetchLabelNext = labelNext.refetch;
  // What is left of the active-learning queue changes with every judgment (this annotator's or others').
  useEffect(() => void refetchLabelNext(), [judged, refetchLabelNext]);
  const zoom = useSyncedZoom();
  const item = queue.current;

  const ranking = useMemo(
    () => (picked && picked.comparisonId === item?.comparisonId ? picked.ids : []),
    [picked, item?.comparisonId],
  );
  const setRanking = useCallback(
    (update: (ids: number[]) => number[]) =>
      item && setPicked({ comparisonId: item.comparisonId, ids: update(ranking) }),
    [item, ranking],
  );
  useEvent('score.updated', ({ imageId, scorerId, score }) => {
    // Blind for annotators: the server never sends them scores, and neither does this.
    if (isAdmin) queue.patchScore(Number(imageId), scorerId, score);
    if (!status.data?.scorers.includes(scorerId))
      void queryClient.invalidateQueries({ queryKey: callKey('library.status', {}) });
  });

  const onShown = useCallback(() => {
    // Bench hook: time from the choice keypress to the next item on screen.
    if (performance.getEntriesByName('hps:choice', 'mark').length > 0) {
      performance.measure('hps:choice-to-next', 'hps:choice');
      performance.clearMarks('hps:choice');
    }
  }, []);

  const decide = useCallback(
    (decision: Decision) => {
      performance.mark('hps:choice');
      void queue.submit(decision);
    },
    [queue],
  );

  const pick = useCallback(
    (current: LabelItem, index: number) => {
      const id = current.shownOrder[index];
      if (id === undefined) return;
      if (current.images.length === 2 || mode === 'best')
        return decide({ kind: 'choice', chosenImageId: id });
      if (ranking.includes(id)) return;
      const next = [...ranking, id];
      if (next.length === current.shownOrder.length - 1)
        next.push(current.shownOrder.find((x) => !next.includes(x))!);
      if (next.length === current.shownOrder.length) decide({ kind: 'ranking', ranking: next });
      else setRanking(() => next);
    },
    [decide, mode, ranking, setRanking],
  );

  // A layout effect, so the handler is swapped in the same commit that puts the new item on screen: a key
  // pressed as soon as an item appears must act on that item, not be dropped by the last item's busy handler.
  useLayoutEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (isTyping(e.target) || e.altKey || e.metaKey) return;
      if (e.key === '?') return setSheet((s) => !s);
      if (e.key === 'Escape') return setSheet(false);
      if (e.key === 'z' || e.key === 'Z') {
        e.preventDefault();
        if (!e.repeat) void queue.undo();
        return;
      }
      if (e.ctrlKey || e.repeat || !item || queue.busy) return;
      const key = e.key.toLowerCase();
      const two = item.images.length === 2;
      if (key === 'arrowleft' && two) pick(item, 0);
      else if (key === 'arrowright' && two) pick(item, 1);
      else if (/^[1-9]$/.test(key)) pick(item, Number(key) - 1);
      else if (key === 't') decide({ kind: 'tie' });
      else if (key === 'b') decide({ kind: 'both-bad' });
      else if (key === 's') decide({ kind: 'skip' });
      else if (key === 'o' && !two) {
        setMode((m) => (m === 'best' ? 'order' : 'best'));
        setRanking(() => []);
      } else if (key === 'backspace' && !two) setRanking((r) => r.slice(0, -1));
      else return;
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [decide, item, pick, queue, setRanking]);

  const scorers = status.data?.scorers ?? [];
  const showScores = isAdmin && !blind;
  const nway = item && item.images.length > 2;

  return (
    <section className="page compare-page" aria-labelledby="page-title">
      <header className="page-header compare-header">
        <div>
          <h1 id="page-title">Compare</h1>
          <p className="muted">Pick the better image of a pair, for the same prompt.</p>
        </div>
        <div className="compare-tools">
          {isAdmin && (
            <label className="check" title="Blind mode hides model scores so they cannot bias the label">
              <input type="checkbox" checked={blind} onChange={(e) => setBlind(e.target.checked)} />
              Blind mode
            </label>
          )}
          <button className="link" onClick={() => setSheet(true)}>
            Shortcuts <kbd>?</kbd>
          </button>
        </div>
      </header>
      <SessionBar progress={queue.progress} stats={queue.stats} />
      {labelNext.data && labelNext.data.left > 0 && (
        <p className="badge" aria-label="Active-learning queue">
          active-learning queue: {labelNext.data.left} left
        </p>
      )}
      {queue.error && (
        <p className="error banner" role="alert">
          {queue.error}
        </p>
      )}
      {item ? (
        <>
          <p className="prompt" aria-label="Prompt">
            {item.prompt}
          </p>
          {nway && (
            <p className="muted small nway-mode">
              {mode === 'best'
                ? `Pick the best of ${item.images.length} with 1–${item.images.length} (O: order them all instead).`
                : `Order them: press 1–${item.images.length} from best to worst; Backspace takes one back (O: pick the best only).`}
            </p>
          )}
          <Stage
            item={item}
            view={zoom.view}
            onWheel={zoom.onWheel}
            onPointerDown={zoom.onPointerDown}
            onReset={zoom.reset}
            showScores={showScores}
            scorers={scorers}
            ranking={ranking}
            onShown={onShown}
          />
          <div className="actions" aria-busy={queue.busy}>
            {!nway && <button onClick={() => pick(item, 0)}>← Left better</button>}
            <button onClick={() => decide({ kind: 'tie' })}>
              Tie <kbd>T</kbd>
            </button>
            <button onClick={() => decide({ kind: 'both-bad' })}>
              Both bad <kbd>B</kbd>
            </button>
            <button onClick={() => decide({ kind: 'skip' })}>
              Skip <kbd>S</kbd>
            </button>
            {!nway && <button onClick={() => pick(item, 1)}>Right better →</button>}
            <button onClick={() => void queue.undo()}>
              Undo <kbd>Z</kbd>
            </button>
          </div>
        </>
      ) : queue.loading ? (
        <div className="stage-placeholder" aria-busy="true" />
      ) : queue.progress && queue.progress.judged > 0 ? (
        <EmptyState
          title="All done"
          action={<button onClick={() => void queue.undo()}>Undo the last one (Z)</button>}
        >
          You have labeled every comparison open to you. Thank you!
        </EmptyState>
      ) : (
        <EmptyState title="No pairs to compare yet">
          Pairwise labeling needs at least two images for one prompt in the library.
        </EmptyState>
      )}
      {sheet && <ShortcutSheet onClose={() => setSheet(false)} />}
    </section>
  );
}
