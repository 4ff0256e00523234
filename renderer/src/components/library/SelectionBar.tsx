// Bulk actions on the selected comparisons: tag, untag, exclude, include, delete (asks first).
import { useState } from 'react';
import { useApi } from '../../api/hooks';
import type { CurationItem } from './CurationGrid';

export function SelectionBar({
  selected,
  single,
  onDone,
  onClear,
}: {
  selected: number[];
  /** The selected comparison when exactly one on this page is selected: its gold answer can be set. */
  single: CurationItem | null;
  onDone: () => void;
  onClear: () => void;
}) {
  const api = useApi();
  const [tag, setTag] = useState('');
  const [error, setError] = useState<string | null>(null);
  const run = async (work: () => Promise<unknown>) => {
    setError(null);
    try {
      await work();
      onDone();
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const comparisonIds = selected;
  return (
    <div className="selection-bar" role="toolbar" aria-label="Selection">
      <b>{selected.length} selected</b>
      <input
        type="text"
        placeholder="tag"
        value={tag}
        onChange={(e) => setTag(e.target.value)}
        aria-label="Tag name"
        className="narrow"
      />
      <button
        disabled={!tag.trim()}
        onClick={() => run(() => api.call('library.tag', { comparisonIds, tag }))}
      >
        Tag
      </button>
      <button
        disabled={!tag.trim()}
        onClick={() => run(() => api.call('library.tag', { comparisonIds, tag, remove: true }))}
      >
        Untag
      </button>
      <button onClick={() => run(() => api.call('library.exclude', { comparisonIds, excluded: true }))}>
        Exclude
      </button>
      <button onClick={() => run(() => api.call('library.exclude', { comparisonIds, excluded: false }))}>
        Include
      </button>
      <button
        className="danger"
        onClick={() =>
          confirm(`Delete ${selected.length} comparisons and their judgments? Images stay in the library.`) &&
          run(() => api.call('library.delete', { comparisonIds }))
        }
      >
        Delete
      </button>
      {single && (
        <select
          aria-label="Gold image"
          value={single.goldImageId ?? ''}
          onChange={(e) =>
            run(() =>
              api.call('library.setGold', {
                comparisonId: single.id,
                imageId: e.target.value === '' ? null : Number(e.target.value),
              }),
            )
          }
        >
          <option value="">No gold answer</option>
          {single.images.map((image, i) => (
            <option key={image.id} value={image.id}>
              Gold: image {i + 1}
            </option>
          ))}
        </select>
      )}
      <button className="link" onClick={onClear}>
        Clear selection
      </button>
      {error && <span className="error small">{error}</span>}
    </div>
  );
}
