import type { CallInput } from '../../../../main/contract';
import { scorerLabel } from '../compare/ScoreChips';
import '../form.css';

export type Query = Omit<CallInput<'library.comparisons'>, 'offset' | 'limit'>;

const optionalNumber = (v: string) => (v.trim() === '' ? undefined : Number(v));

export function FilterBar({
  query,
  onChange,
  tags,
  scorers,
}: {
  query: Query;
  onChange: (q: Query) => void;
  tags: string[];
  scorers: string[];
}) {
  const set = (patch: Partial<Query>) => onChange({ ...query, ...patch });
  return (
    <div className="filter-bar" role="search">
      <input
        type="search"
        placeholder="Search prompts"
        value={query.text ?? ''}
        onChange={(e) => set({ text: e.target.value || undefined })}
        aria-label="Search prompts"
      />
      <select
        value={query.state ?? ''}
        onChange={(e) => set({ state: (e.target.value || undefined) as Query['state'] })}
        aria-label="Label state"
      >
        <option value="">Any state</option>
        <option value="unlabeled">Unlabeled</option>
        <option value="labeled">Labeled</option>
        <option value="excluded">Excluded</option>
      </select>
      <select
        value={query.tag ?? ''}
        onChange={(e) => set({ tag: e.target.value || undefined })}
        aria-label="Tag"
      >
        <option value="">Any tag</option>
        {tags.map((t) => (
          <option key={t} value={t}>
            #{t}
          </option>
        ))}
      </select>
      <label className="check small">
        <input
          type="checkbox"
          checked={query.maxAgreement !== undefined}
          onChange={(e) => set({ maxAgreement: e.target.checked ? 0.99 : undefined })}
        />
        Disputed only
      </label>
      {scorers.length > 0 && (
        <>
          <select
            value={query.scoreModel ?? ''}
            onChange={(e) => set({ scoreModel: e.target.value || undefined })}
            aria-label="Score"
          >
            <option value="">No score filter</option>
            {scorers.map((m) => (
              <option key={m} value={m}>
                {scorerLabel(m)}
              </option>
            ))}
          </select>
          {query.scoreModel && (
            <>
              <input
                type="number"
                placeholder="min"
                className="narrow"
                value={query.minScore ?? ''}
                onChange={(e) => set({ minScore: optionalNumber(e.target.value) })}
                aria-label="Minimum score"
              />
              <input
                type="number"
                placeholder="max"
                className="narrow"
                value={query.maxScore ?? ''}
                onChange={(e) => set({ maxScore: optionalNumber(e.target.value) })}
                aria-label="Maximum score"
              />
            </>
          )}
        </>
      )}
      <select
        value={query.sort ?? 'id'}
        onChange={(e) => set({ sort: e.target.value as Query['sort'] })}
        aria-label="Sort by"
      >
        <option value="id">Import order</option>
        <option value="prompt">Prompt</option>
        <option value="labels">Labels</option>
        <option value="agreement">Agreement</option>
        {query.scoreModel && <option value="score">Score ({scorerLabel(query.scoreModel)})</option>}
      </select>
      <button
        className="icon-button"
        onClick={() => set({ descending: !query.descending })}
        aria-label={query.descending ? 'Descending' : 'Ascending'}
        title={query.descending ? 'Descending' : 'Ascending'}
      >
        {query.descending ? '↓' : '↑'}
      </button>
    </div>
  );
}
