import type { CallOutput } from '../../../../main/contract';

type ModelEp = CallOutput<'models.catalog'>['models'][number]['ep'];

/** The EP a model runs on; the title lists the fallback order. */
export function EpBadge({ ep }: { ep: ModelEp }) {
  if (!ep.preferred)
    return (
      <span className="muted small" title={ep.note}>
        —
      </span>
    );
  return (
    <span className="ep" title={ep.note}>
      <code>{ep.preferred}</code>
      {ep.order.length > 1 && <span className="muted small"> then {ep.order.slice(1).join(', ')}</span>}
    </span>
  );
}
