// Bulk actions on the selected comparisons: tag, untag, exclude, include, delete (asks first). The selection
// is cleared after each.
import { useState } from 'react';
import { lastWriteError, useCallMutation } from '../../api/hooks';
import '../form.css';
import type { CurationItem } from './CurationGrid';

/** What a bulk action changes on the Library page: the grid, the counts and tags, the duplicates. */
const LIBRARY_CALLS = ['library.comparisons', 'library.status', 'library.duplicates'] as const;

export function SelectionBar({
  selected,
  single,
  onClear,
}: {
  selected: number[];
  /** The selected comparison when exactly one on this page is selected: its gold answer can be set. */
  single: CurationItem | null;
  onClear: () => void;
}) {
  const [tag, setTag] = useState('');
  const options = { invalidates: LIBRARY_CALLS, onSuccess: onClear };
  const tagging = useCallMutation('library.tag', options);
  const excluding = useCallMutation('library.exclude', options);
  const deleting = useCallMutation('library.delete', options);
  const settingGold = useCallMutation('library.setGold', options);
  const error = lastWriteError(tagging, excluding, deleting, settingGold);
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
      <button disabled={!tag.trim()} onClick={() => tagging.mutate({ comparisonIds, tag })}>
        Tag
      </button>
      <button disabled={!tag.trim()} onClick={() => tagging.mutate({ comparisonIds, tag, remove: true })}>
        Untag
      </button>
      <button onClick={() => excluding.mutate({ comparisonIds, excluded: true })}>Exclude</button>
      <button onClick={() => excluding.mutate({ comparisonIds, excluded: false })}>Include</button>
      <button
        className="danger"
        onClick={() =>
          confirm(`Delete ${selected.length} comparisons and their judgments? Images stay in the library.`) &&
          deleting.mutate({ comparisonIds })
        }
      >
        Delete
      </button>
      {single && (
        <select
          aria-label="Gold image"
          value={single.goldImageId ?? ''}
          onChange={(e) =>
            settingGold.mutate({
              comparisonId: single.id,
              imageId: e.target.value === '' ? null : Number(e.target.value),
            })
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
