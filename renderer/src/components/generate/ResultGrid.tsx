// One finished batch: the images with their seeds (click to reuse) and a score chip from every loaded scorer,
// "send to labeling", and which LoRA modules could not be applied.
import { useCallMutation } from '../../api/hooks';
import type { Batch } from './GeneratedChips';
import { GeneratedImage } from './GeneratedImage';

export function ResultGrid({ batch, onReuseSeed }: { batch: Batch; onReuseSeed(seed: number): void }) {
  const send = useCallMutation('generate.sendToLabeling', {
    invalidates: ['library.status', 'library.comparisons'],
  });
  const sent = send.data?.comparisonId ?? batch.comparisonId;
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
            disabled={batch.images.length < 2 || send.isPending}
            onClick={() => send.mutate({ batchId: batch.batchId })}
            title={batch.images.length < 2 ? 'A comparison needs two or more images' : undefined}
          >
            Send to labeling
          </button>
        )}
        {send.error && <span className="error">{send.error.message}</span>}
      </header>
      {batch.loraWarnings.map((warning) => (
        <p key={warning} className="small warning" role="note">
          LoRA {warning}
        </p>
      ))}
      <div className="gen-grid">
        {batch.images.map((image) => (
          <GeneratedImage
            key={image.path}
            batch={batch}
            image={image}
            seed={
              <button
                type="button"
                className="gen-seed"
                title="Use this seed"
                onClick={() => onReuseSeed(image.seed)}
              >
                seed {image.seed}
              </button>
            }
          />
        ))}
      </div>
    </section>
  );
}
