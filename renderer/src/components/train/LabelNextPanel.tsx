// Active learning: find the unlabeled comparisons worth a human's time — where one scorer is least certain, or
// where the scorers the library has scores from disagree most — and put them at the head of Compare's queue.
import { useState } from 'react';
import type { CallInput } from '../../../../main/contract';
import { lastWriteError, useCall, useCallMutation, useCallOnDemand } from '../../api/hooks';
import { Field } from '../Field';

type LabelNextInput = CallInput<'training.labelNext'>;
type Source = LabelNextInput['source'];
export type UncertaintyScorer = Omit<Extract<LabelNextInput, { source: 'uncertainty' }>, 'source' | 'limit'>;

const EXPLAIN: Record<Source, string> = {
  uncertainty: 'Least certain first (|p − 0.5| smallest).',
  disagreement: 'Most disputed first: the scorers pick different best images, closest calls first.',
};

export function LabelNextPanel({ scorer }: { scorer: UncertaintyScorer | null }) {
  const scorers = useCall('library.status', {}).data?.scorers ?? [];
  const compareQueue = useCall('labeling.queue', {});
  const [source, setSource] = useState<Source>('uncertainty');
  const [picked, setPicked] = useState<string[]>([]);
  const labelNext = useCallOnDemand('training.labelNext');
  /** Compare serves these first, in this order, to every annotator (until the queue is cleared). */
  const setQueue = useCallMutation('labeling.setQueue', { invalidates: ['labeling.queue'] });
  const clearQueue = useCallMutation('labeling.clearQueue', { invalidates: ['labeling.queue'] });
  const busy = labelNext.result.isFetching || setQueue.isPending || clearQueue.isPending;
  const error = lastWriteError(setQueue, clearQueue) ?? labelNext.result.error?.message;

  const find = () => {
    setQueue.reset();
    clearQueue.reset();
    labelNext.ask(source === 'uncertainty' ? { source, ...scorer! } : { source, scorers: picked });
  };
  const found = labelNext.result.data &&
    labelNext.asked && { ...labelNext.result.data, source: labelNext.asked.source };
  const send = () =>
    found && setQueue.mutate({ comparisonIds: found.queue.map((q) => q.comparisonId), source: found.source });
  const toggle = (id: string) =>
    setPicked((old) => (old.includes(id) ? old.filter((p) => p !== id) : [...old, id]));
  const ready = source === 'uncertainty' ? scorer !== null : picked.length >= 2;
  const queued = compareQueue.data;

  return (
    <div className="label-next" role="group" aria-label="Label next">
      <h3>Label next (active learning)</h3>
      <div className="field-row">
        <Field label="Choose by">
          <select
            aria-label="Label next by"
            value={source}
            onChange={(e) => setSource(e.target.value as Source)}
          >
            <option value="uncertainty">uncertainty of this scorer</option>
            <option value="disagreement">disagreement between scorers</option>
          </select>
        </Field>
        {source === 'disagreement' && (
          <fieldset aria-label="Scorers to compare">
            <legend className="small">Scorers (their stored scores)</legend>
            {scorers.length < 2 && (
              <span className="small muted">Load at least two scorers in Library to compare them.</span>
            )}
            {scorers.map((id) => (
              <label key={id} className="small">
                <input type="checkbox" checked={picked.includes(id)} onChange={() => toggle(id)} /> {id}
              </label>
            ))}
          </fieldset>
        )}
        <button type="button" disabled={busy || !ready} onClick={find} title={EXPLAIN[source]}>
          Find comparisons to label
        </button>
      </div>
      <p className="small" role="status" aria-label="Compare queue">
        {queued
          ? `Compare queue: ${queued.size} comparisons by ${queued.source}, ${queued.left} left for you. `
          : 'Compare queue: none (annotators get the usual order). '}
        {queued && (
          <button type="button" disabled={busy} onClick={() => clearQueue.mutate({})}>
            Clear queue
          </button>
        )}
      </p>
      {error && <p className="error">{error}</p>}
      {found && (
        <>
          <p className="small muted">
            {EXPLAIN[found.source]}
            {found.unscored > 0 &&
              ` ${found.unscored} unlabeled comparisons are not scored by every chosen scorer yet and were left out.`}{' '}
            <button type="button" onClick={send} disabled={busy || found.queue.length === 0}>
              Send to Compare queue
            </button>
          </p>
          {found.queue.length === 0 && <p className="small">No unlabeled comparisons to rank.</p>}
          <ol aria-label="Comparisons to label next">
            {found.queue.map((q) => (
              <li key={q.comparisonId}>
                #{q.comparisonId} {q.prompt}{' '}
                <span className="muted small">
                  ({found.source} {q.priority.toFixed(3)})
                </span>
              </li>
            ))}
          </ol>
        </>
      )}
    </div>
  );
}
