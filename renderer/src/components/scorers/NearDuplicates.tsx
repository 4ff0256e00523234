// Near-duplicates by a loaded scorer's image embeddings (cosine ≥ threshold), beside the exact-hash duplicates.
// Nothing is computed until asked: encoding a large library takes a while on the first run.
import { useState } from 'react';
import { calls } from '../../../../main/contract';
import { useApi, useCall, useCallOnDemand } from '../../api/hooks';
import { numberLimits } from '../../api/schema-limits';
import '../form.css';

const THRESHOLD = calls['library.nearDuplicates'].input.shape.threshold;

export function NearDuplicates({ onShow }: { onShow: (comparisonIds: number[]) => void }) {
  const api = useApi();
  const scorers = useCall('scorers.list', {});
  const [scorerId, setScorerId] = useState('');
  const [threshold, setThreshold] = useState(THRESHOLD.def.defaultValue);
  const nearDuplicates = useCallOnDemand('library.nearDuplicates');
  const result = nearDuplicates.result.data;
  const error = nearDuplicates.result.error;
  const busy = nearDuplicates.result.isFetching;
  const loaded = scorers.data?.scorers ?? [];
  const chosen = scorerId || loaded[0]?.id;
  const find = () => chosen && nearDuplicates.ask({ scorerId: chosen, threshold });

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
              {...numberLimits(THRESHOLD)}
              step={0.005}
              value={threshold}
              onChange={(e) => setThreshold(Number(e.target.value))}
              aria-label="Cosine threshold"
            />
          </label>
          <button disabled={busy} onClick={find}>
            {busy ? 'Comparing…' : 'Find near-duplicates'}
          </button>
        </div>
      )}
      {error && <p className="error small">{error.message}</p>}
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
