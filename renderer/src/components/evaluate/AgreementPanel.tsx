// Inter-annotator agreement and per-annotator quality: position bias, decision time, gold accuracy.
import { useCall } from '../../api/hooks';

const fmt = (v: number | null, digits = 2) => (v === null ? '—' : v.toFixed(digits));
const percent = (v: number | null) => (v === null ? '—' : `${(v * 100).toFixed(1)}%`);

export function AgreementPanel() {
  const { data, error } = useCall('evaluation.agreement', {});
  if (error) return <p className="error">{error.message}</p>;
  if (!data) return null;
  return (
    <>
      <div className="stat-cards" aria-label="Agreement">
        <Stat
          label="Percent agreement"
          value={percent(data.percent.agreement)}
          note={`${data.percent.items} items with 2+ labels`}
        />
        <Stat label="Krippendorff's α" value={fmt(data.krippendorffAlpha)} note="nominal, all annotators" />
        <Stat label="Fleiss' κ" value={fmt(data.fleissKappa)} note="items with equal label counts" />
        <Stat
          label="Left-side pick rate"
          value={percent(data.leftPickRate.rate)}
          note={`n = ${data.leftPickRate.n}; 50% = no position bias`}
        />
      </div>
      {data.cohenKappa.length > 0 && (
        <table className="grid" aria-label="Cohen's kappa per annotator pair">
          <thead>
            <tr>
              <th>Annotator pair</th>
              <th>Shared items</th>
              <th>Cohen's κ</th>
            </tr>
          </thead>
          <tbody>
            {data.cohenKappa.map((k) => (
              <tr key={`${k.a}|${k.b}`}>
                <td>
                  {k.a} · {k.b}
                </td>
                <td>{k.n}</td>
                <td>{fmt(k.kappa)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h3>Annotators</h3>
      <table className="grid" aria-label="Annotators">
        <thead>
          <tr>
            <th>Name</th>
            <th>Judgments</th>
            <th>Left picks</th>
            <th>Median decision</th>
            <th>Gold accuracy</th>
          </tr>
        </thead>
        <tbody>
          {data.annotators.map((a) => (
            <tr key={a.annotatorId}>
              <td>{a.name}</td>
              <td>{a.judgments}</td>
              <td>
                {percent(a.leftPickRate.rate)} <span className="muted small">n={a.leftPickRate.n}</span>
              </td>
              <td>{a.decisionTime ? `${(a.decisionTime.medianMs / 1000).toFixed(1)} s` : '—'}</td>
              <td>{a.gold ? `${percent(a.gold.rate)} (n=${a.gold.n})` : '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

function Stat({ label, value, note }: { label: string; value: string; note: string }) {
  return (
    <div className="stat">
      <div className="small muted">{label}</div>
      <div className="stat-value">{value}</div>
      <div className="small muted">{note}</div>
    </div>
  );
}
