// Near-duplicates by a loaded scorer's image embeddings (cosine ≥ threshold), beside the exact-hash duplicates.
// Nothing is computed until asked: encoding a large library takes a while on the first run.
import { useState } from 'react';
import type { CallOutput } from '../../../../main/contract';
import { useApi, useCall } from '../../api/hooks';

type Result = CallOutput<'library.nearDuplicates'>;

export function NearDuplicates({ onShow }: { onShow: (comparisonIds: number[]) => void }) {
  const api = useApi();
  const scorers = useCall('scorers.list', {});
  const [scorerId, setScorerId] = useState('');
  const [threshold, setThreshold] = useState(0.95);
  const [result, setResult] = useState<Result | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const loaded = scorers.data?.scorers ?? [];
  const chosen = scorerId || loaded[0]?.id;

  const find = async () => {
    if (!chosen) return;
    setBusy(true);
    setError(null);
    try {
      setResult(await api.call('library.nearDuplicates', { scorerId: chosen, threshold }));
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="duplicates" aria-label="Near-duplicates">
      <h3>Near-duplicates by image embedding</h3>
      {loaded.length === 0 ? (
        <p className="muted small">No scorer loaded: load one in Models to compare image embeddings.</p>
      ) : (
        <div className="row">
          <select aria-label="Embedding scorer" value={chosen} onChange={(e) => setScorerId(e.target.value)}>
            {loaded.map((s) => (
              <option key={s.id} value={s.id}>
                {s.id}
              </option>
            ))}
          </select>
          <label className="small">
            cosine ≥{' '}
            <input
              type="number"
              min={0.5}
              max={1}
              step={0.005}
              value={threshold}
              onChange={(e) => setThreshold(Number(e.target.value))}
              aria-label="Cosine threshold"
            />
          </label>
          <button disabled={busy} onClick={() => void find()}>
            {busy ? 'Comparing…' : 'Find near-duplicates'}
          </button>
        </div>
      )}
      {error && <p className="error small">{error}</p>}
      {result && result.groups.length === 0 && <p className="muted small">No images that close.</p>}
      {result?.groups.map((group) => (
        <div key={group.images.map((i) => i.id).join()} className="near-group">
          <button className="link" onClick={() => onShow(group.comparisonIds)}>
            Select {group.comparisonIds.length} comparisons
          </button>{' '}
          <span className="small muted">cosine ≥ {group.minCosine.toFixed(4)}</span>
          <ul className="dup-images">
            {group.images.map((image) => (
              <li key={image.id} title={`sha256 ${image.hash}`}>
                <img src={api.imageUrl(image.thumbPath ?? image.path)} alt="" loading="lazy" />
              </li>
            ))}
          </ul>
        </div>
      ))}
      {result && result.failed.length > 0 && (
        <p className="small muted">{result.failed.length} images could not be read.</p>
      )}
    </section>
  );
}
