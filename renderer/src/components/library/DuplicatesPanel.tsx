// Exact duplicates by content hash: one stored image used by several comparisons, and comparisons that
// repeat the same image set under different prompts.
import { useApi, useCall } from '../../api/hooks';

export function DuplicatesPanel({ onShow }: { onShow: (ids: number[]) => void }) {
  const api = useApi();
  const { data, isPending, error } = useCall('library.duplicates', {});
  if (isPending) return <p className="muted">Looking for duplicates…</p>;
  if (error) return <p className="error">{error.message}</p>;
  if (data.images.length === 0 && data.comparisonSets.length === 0)
    return <p className="muted">No duplicates: every image is used once.</p>;
  return (
    <div className="duplicates">
      {data.comparisonSets.length > 0 && (
        <>
          <h3>Same images under several prompts</h3>
          <ul>
            {data.comparisonSets.map((set) => (
              <li key={set.comparisonIds.join()}>
                <button className="link" onClick={() => onShow(set.comparisonIds)}>
                  Select {set.comparisonIds.length}
                </button>{' '}
                {set.prompts.map((p) => `“${p}”`).join(', ')}
              </li>
            ))}
          </ul>
        </>
      )}
      <h3>Images in several comparisons ({data.images.length})</h3>
      <ul className="dup-images">
        {data.images.slice(0, 60).map(({ image, comparisonIds }) => (
          <li key={image.id} title={`sha256 ${image.hash}`}>
            <img src={api.imageUrl(image.thumbPath ?? image.path)} alt="" loading="lazy" />
            <button className="link" onClick={() => onShow(comparisonIds)}>
              in {comparisonIds.length} comparisons
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}
