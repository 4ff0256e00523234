// The paper's question: which metric predicts human choice? Accuracy per scorer under both tie conventions
// with n and a bootstrap 95% interval, the agreement between humans, and score distributions.
import { lazy, Suspense, useState } from 'react';
import { calls } from '../../../main/contract';
import { useCall } from '../api/hooks';
import { clampTo, numberLimits } from '../api/schema-limits';
import { EmptyState } from '../components/EmptyState';
import { Page } from '../components/Page';
import { scorerLabel } from '../components/compare/ScoreChips';
import { AgreementPanel } from '../components/evaluate/AgreementPanel';
import { HeldOutPanel } from '../components/evaluate/HeldOutPanel';
import '../components/evaluate/evaluate.css';
import '../components/form.css';

// The charting library is loaded with the first chart, so the other views start without it.
const AccuracyChart = lazy(() =>
  import('../components/evaluate/AccuracyChart').then((m) => ({ default: m.AccuracyChart })),
);
const Histograms = lazy(() =>
  import('../components/evaluate/Histograms').then((m) => ({ default: m.Histograms })),
);

const TIE_THRESHOLD = calls['evaluation.metricAccuracy'].input.shape.modelTieThreshold;
const TIE_LIMITS = numberLimits(TIE_THRESHOLD);

const percent = (v: number | null) => (v === null ? '—' : `${(v * 100).toFixed(1)}%`);
const interval = (i: [number, number] | null) =>
  i ? `${(i[0] * 100).toFixed(1)}–${(i[1] * 100).toFixed(1)}%` : '—';

export function Evaluate() {
  const status = useCall('library.status', {});
  const [threshold, setThreshold] = useState(TIE_THRESHOLD.def.defaultValue);
  const accuracy = useCall(
    'evaluation.metricAccuracy',
    { modelTieThreshold: threshold },
    { placeholderData: (p) => p },
  );
  // Fetched when asked for (Export CSV), for the threshold in view.
  const csv = useCall('evaluation.csv', { modelTieThreshold: threshold }, { enabled: false });
  const heldOut = useCall('evaluation.heldOut', {}).data?.scorers ?? [];
  const trainedHere = new Set(heldOut.map((s) => s.id));
  const subtitle = 'Which metric predicts human choice: accuracy per scorer, agreement between annotators.';
  if (status.data?.me.role === 'annotator')
    return (
      <Page title="Evaluate" subtitle={subtitle}>
        <EmptyState title="For admins">
          Evaluation figures are shown to admins, so annotators label blind.
        </EmptyState>
      </Page>
    );

  const downloadCsv = async () => {
    const { data } = await csv.refetch();
    if (!data) return;
    const link = document.createElement('a');
    link.href = URL.createObjectURL(new Blob([data.csv], { type: 'text/csv' }));
    link.download = 'metric-accuracy.csv';
    link.click();
    URL.revokeObjectURL(link.href);
  };

  const models = accuracy.data?.models ?? [];
  return (
    <Page title="Evaluate" subtitle={subtitle}>
      <h2>Metric accuracy</h2>
      {models.length === 0 ? (
        <EmptyState title="No scores yet">
          Score the library with a preference model (HPS v2.1, PickScore, …) to see how often each one agrees
          with your annotators.
        </EmptyState>
      ) : (
        <>
          <div className="row eval-tools">
            <label className="check small">
              Model tie threshold
              <input
                type="number"
                {...TIE_LIMITS}
                step={0.01}
                value={threshold}
                onChange={(e) => setThreshold(clampTo(TIE_LIMITS, Number(e.target.value) || 0))}
                className="narrow"
                aria-label="Model tie threshold"
              />
            </label>
            <button disabled={csv.isFetching} onClick={() => void downloadCsv()}>
              Export CSV
            </button>
          </div>
          {csv.error && <p className="error">{csv.error.message}</p>}
          <Suspense fallback={<div className="chart chart-placeholder" />}>
            <AccuracyChart models={models} />
          </Suspense>
          <table className="grid" aria-label="Metric accuracy">
            <thead>
              <tr>
                <th>Scorer</th>
                <th>Drop ties</th>
                <th>n</th>
                <th>95% CI</th>
                <th>Ties half credit</th>
                <th>n</th>
                <th>95% CI</th>
                <th>Unscored</th>
              </tr>
            </thead>
            <tbody>
              {models.map((m) => (
                <tr key={m.modelId}>
                  <td title={m.modelId}>
                    {scorerLabel(m.modelId)}
                    {trainedHere.has(m.modelId) && (
                      <span className="muted small"> (trained on these labels: see held-out below)</span>
                    )}
                  </td>
                  <td>{percent(m.dropTies.accuracy)}</td>
                  <td>{m.dropTies.n}</td>
                  <td>{interval(m.dropTies.interval)}</td>
                  <td>{percent(m.halfCredit.accuracy)}</td>
                  <td>{m.halfCredit.n}</td>
                  <td>{interval(m.halfCredit.interval)}</td>
                  <td>{m.dropTies.unscored}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {heldOut.length > 0 && (
            <>
              <h2>Your trained scorers on held-out prompts</h2>
              <HeldOutPanel scorers={heldOut} />
            </>
          )}
          <h2>Score histograms</h2>
          <Suspense fallback={null}>
            <Histograms />
          </Suspense>
        </>
      )}
      <h2>Agreement between annotators</h2>
      <AgreementPanel />
    </Page>
  );
}
