// Scorers fine-tuned on this library, judged only on the prompts held out from their training: before and
// after, next to every other scorer on the same pairs (their full-library rows above include training labels).
import type { CallOutput } from '../../../../main/contract';
import { scorerLabel } from '../compare/ScoreChips';

type HeldOutScorer = CallOutput<'evaluation.heldOut'>['scorers'][number];
type Both = HeldOutScorer['before'];

const cell = (a: Both['dropTies']) =>
  a.accuracy === null
    ? '—'
    : `${(a.accuracy * 100).toFixed(1)}%${a.interval ? ` (${(a.interval[0] * 100).toFixed(1)}–${(a.interval[1] * 100).toFixed(1)}%)` : ''}`;

export function HeldOutPanel({ scorers }: { scorers: HeldOutScorer[] }) {
  return (
    <>
      {scorers.map((s) => (
        <table key={s.file} className="grid" aria-label={`Held-out accuracy of ${s.id}`}>
          <caption className="small">
            <strong>{s.id}</strong> — {s.kind} fine-tuned from {s.base} on {s.trainComparisons} comparisons;{' '}
            {s.testComparisons} comparisons of held-out prompts · {new Date(s.createdAt).toLocaleString()}
          </caption>
          <thead>
            <tr>
              <th>Scorer</th>
              <th>Drop ties (95% CI)</th>
              <th>n</th>
              <th>Ties half credit (95% CI)</th>
              <th>n</th>
            </tr>
          </thead>
          <tbody>
            {[
              { label: `${s.kind} before fine-tuning`, ...s.before },
              { label: `${s.id} (fine-tuned)`, ...s.after },
              ...s.others.map((o) => ({ label: scorerLabel(o.modelId), ...o })),
            ].map((row) => (
              <tr key={row.label}>
                <td>{row.label}</td>
                <td>{cell(row.dropTies)}</td>
                <td>{row.dropTies.n}</td>
                <td>{cell(row.halfCredit)}</td>
                <td>{row.halfCredit.n}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ))}
    </>
  );
}
