// Live readouts under an image: one chip per scorer with stored scores (HPS v2.1 first), or a note that no
// scorer has run yet. Hidden in blind mode by the caller.
import type { LabelItem } from './useLabelQueue';

export function scorerLabel(modelId: string): string {
  return modelId
    .replace(/^hps-v/i, 'HPS v')
    .replace(/^pickscore/i, 'PickScore')
    .replace(/^clip/i, 'CLIP');
}

export function ScoreChips({ image, scorers }: { image: LabelItem['images'][number]; scorers: string[] }) {
  if (scorers.length === 0)
    return (
      <div className="chips">
        <span className="chip chip-off">no scorer loaded</span>
      </div>
    );
  const byModel = new Map(image.scores.map((s) => [s.modelId, s.score]));
  return (
    <div className="chips">
      {scorers.map((modelId) => {
        const score = byModel.get(modelId);
        return (
          <span key={modelId} className={score === undefined ? 'chip chip-pending' : 'chip'} title={modelId}>
            {scorerLabel(modelId)} <b>{score === undefined ? '…' : score.toFixed(2)}</b>
          </span>
        );
      })}
    </div>
  );
}
