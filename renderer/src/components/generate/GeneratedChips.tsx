// A generated image's score chips: one per scorer that was loaded when the batch finished (HPS v2.1 first,
// the order the server sends), "…" until that scorer's generate.scored arrives, or a hint when none was loaded.
import type { CallOutput, EventPayload } from '../../../../main/contract';
import { scorerLabel } from '../compare/ScoreChips';

export type Batch = CallOutput<'generate.batch'>;
type Scored = EventPayload<'generate.scored'>;

/** The batch with one scorer's chips filled in (the same object when the event is for another batch). */
export function withScores(batch: Batch, scored: Scored): Batch {
  if (batch.batchId !== scored.batchId) return batch;
  const byPath = new Map(scored.scores.map((s) => [s.path, s.score]));
  return {
    ...batch,
    images: batch.images.map((image) => {
      const score = byPath.get(image.path);
      return score == null ? image : { ...image, scores: { ...image.scores, [scored.scorerId]: score } };
    }),
    scoreErrors: scored.error ? { ...batch.scoreErrors, [scored.scorerId]: scored.error } : batch.scoreErrors,
  };
}

export function GeneratedChips({ batch, image }: { batch: Batch; image: Batch['images'][number] }) {
  if (batch.scorers.length === 0)
    return <span className="gen-chip gen-chip-off">no scorer loaded: load one in Models to see scores</span>;
  return (
    <span className="gen-chips">
      {batch.scorers.map((scorerId) => {
        const score = image.scores[scorerId];
        const error = batch.scoreErrors[scorerId];
        const label = scorerLabel(scorerId);
        if (score !== undefined)
          return (
            <span key={scorerId} className="gen-chip" title={scorerId}>
              {label} <b>{score.toFixed(2)}</b>
            </span>
          );
        return (
          <span key={scorerId} className="gen-chip gen-chip-off" title={error ?? `${scorerId}: scoring…`}>
            {label} {error ? 'not scored' : '…'}
          </span>
        );
      })}
    </span>
  );
}
