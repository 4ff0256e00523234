// The curation grid: one card per comparison with its thumbnails, label state, agreement and best scores.
// Click selects, Shift+click selects a range, Ctrl/Cmd+click toggles one.
import type { CallOutput } from '../../../../main/contract';
import { useApi } from '../../api/hooks';
import { scorerLabel } from '../compare/ScoreChips';

export type CurationItem = CallOutput<'library.comparisons'>['items'][number];

const MAX_THUMBS = 4;

export function CurationGrid({
  items,
  selected,
  onSelect,
}: {
  items: CurationItem[];
  selected: ReadonlySet<number>;
  onSelect: (id: number, how: 'only' | 'toggle' | 'range') => void;
}) {
  const api = useApi();
  return (
    <ul className="curation-grid" aria-label="Comparisons">
      {items.map((item) => {
        const isSelected = selected.has(item.id);
        return (
          <li
            key={item.id}
            className={`card${isSelected ? ' selected' : ''}${item.excluded ? ' excluded' : ''}`}
            aria-selected={isSelected}
            tabIndex={0}
            onClick={(e) =>
              onSelect(item.id, e.shiftKey ? 'range' : e.ctrlKey || e.metaKey ? 'toggle' : 'only')
            }
            onKeyDown={(e) => e.key === ' ' && (e.preventDefault(), onSelect(item.id, 'toggle'))}
          >
            <div className={`thumbs thumbs-${Math.min(item.images.length, MAX_THUMBS)}`}>
              {item.images.slice(0, MAX_THUMBS).map((image) => (
                <img
                  key={image.id}
                  src={api.imageUrl(image.thumbPath ?? image.path)}
                  alt=""
                  loading="lazy"
                  className={item.goldImageId === image.id ? 'gold' : undefined}
                />
              ))}
              {item.images.length > MAX_THUMBS && (
                <span className="more">+{item.images.length - MAX_THUMBS}</span>
              )}
            </div>
            <div className="card-body">
              <p className="card-prompt" title={item.prompt}>
                {item.prompt}
              </p>
              <div className="badges">
                <span className={`badge ${item.labels > 0 ? 'ok' : 'off'}`}>
                  {item.labels > 0 ? `${item.labels} label${item.labels > 1 ? 's' : ''}` : 'unlabeled'}
                </span>
                {item.agreement !== null && (
                  <span className="badge" title="Share of agreeing label pairs">
                    {Math.round(item.agreement * 100)}% agree
                  </span>
                )}
                {item.excluded && <span className="badge off">excluded</span>}
                {item.goldImageId !== null && <span className="badge ok">gold</span>}
                {item.tags.map((t) => (
                  <span key={t} className="badge tag">
                    #{t}
                  </span>
                ))}
              </div>
              <div className="small muted card-scores">
                #{item.id} · {item.images.length} images
                {Object.entries(item.scores)
                  .slice(0, 2)
                  .map(([m, s]) => ` · ${scorerLabel(m)} ${s.toFixed(2)}`)
                  .join('')}
              </div>
            </div>
          </li>
        );
      })}
    </ul>
  );
}
