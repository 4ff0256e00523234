// One finished batch: the images with their seeds (click to reuse) and a score chip from every loaded scorer,
// "send to labeling", and which LoRA modules could not be applied.
import { useState } from 'react';
import { useApi } from '../../api/hooks';
import { GeneratedChips, type Batch } from './GeneratedChips';

export function ResultGrid({ batch, onReuseSeed }: { batch: Batch; onReuseSeed(seed: number): void }) {
  const api = useApi();
  const [sent, setSent] = useState<number | null>(batch.comparisonId);
  const [error, setError] = useState<string | null>(null);
  const send = async () => {
    setError(null);
    try {
      setSent((await api.call('generate.sendToLabeling', { batchId: batch.batchId })).comparisonId);
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return (
    <section className="gen-batch" aria-label={`Batch ${batch.batchId}`}>
      <header className="gen-batch-header">
        <span className="gen-batch-prompt">{batch.settings.prompt}</span>
        <span className="small muted">
          {batch.settings.scheduler} · {batch.settings.steps} steps · CFG {batch.settings.cfg} ·{' '}
          {batch.seconds.toFixed(1)} s
        </span>
        {sent !== null ? (
          <span className="badge" role="status">
            In labeling (comparison {sent})
          </span>
        ) : (
          <button
            type="button"
            disabled={batch.images.length < 2}
            onClick={() => void send()}
            title={batch.images.length < 2 ? 'A comparison needs two or more images' : undefined}
          >
            Send to labeling
          </button>
        )}
        {error && <span className="error">{error}</span>}
      </header>
      {batch.loraWarnings.map((warning) => (
        <p key={warning} className="small warning" role="note">
          LoRA {warning}
        </p>
      ))}
      <div className="gen-grid">
        {batch.images.map((image) => (
          <figure key={image.path} className="gen-image">
            <img src={api.imageUrl(image.path)} alt={`seed ${image.seed}`} />
            <figcaption>
              <button
                type="button"
                className="gen-seed"
                title="Use this seed"
                onClick={() => onReuseSeed(image.seed)}
              >
                seed {image.seed}
              </button>
              <GeneratedChips batch={batch} image={image} />
            </figcaption>
          </figure>
        ))}
      </div>
    </section>
  );
}
