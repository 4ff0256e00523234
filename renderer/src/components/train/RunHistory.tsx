// The library's training runs, newest first; a stopped run can continue from its last checkpoint.
import type { CallOutput } from '../../../../main/contract';

type Run = CallOutput<'training.runs'>['runs'][number];

export function RunHistory({
  runs,
  liveNames,
  onRestart,
  onCompare,
}: {
  runs: Run[];
  liveNames: ReadonlySet<string>;
  onRestart(runId: string): void;
  onCompare(run: Run): void;
}) {
  if (runs.length === 0) return <p className="small muted">No training runs yet.</p>;
  return (
    <table className="train-history" aria-label="Run history">
      <thead>
        <tr>
          <th>Started</th>
          <th>Name</th>
          <th>Recipe</th>
          <th>Status</th>
          <th>Steps</th>
          <th>Loss (first → last 10)</th>
          <th />
        </tr>
      </thead>
      <tbody>
        {runs.map((run) => (
          <tr key={run.id}>
            <td>{new Date(run.startedAt).toLocaleString()}</td>
            <td>
              <code>{run.name}</code>
            </td>
            <td>
              {run.recipe}
              <span className="muted small"> · pairs by {run.pairsBy ?? 'human labels'}</span>
            </td>
            <td title={run.error}>{liveNames.has(run.name) ? 'training' : run.status}</td>
            <td>
              {run.step} / {run.totalSteps}
            </td>
            <td>
              {run.firstLoss?.toFixed(4) ?? '—'} → {run.lastLoss?.toFixed(4) ?? '—'}
            </td>
            <td>
              {run.status === 'completed' && run.output ? (
                <button type="button" onClick={() => onCompare(run)}>
                  A/B grid
                </button>
              ) : (
                !liveNames.has(run.name) && (
                  <button type="button" onClick={() => onRestart(run.id)}>
                    Continue from checkpoint
                  </button>
                )
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
