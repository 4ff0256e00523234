import type { CallOutput } from '../../../main/contract';
import { Page } from '../components/Page';
import { useCall } from '../api/hooks';

type Info = CallOutput<'system.info'>;

function SystemInfo({ info }: { info: Info }) {
  const rows: [string, string][] = [
    ['HPS Studio', `${info.appVersion} (${info.mode === 'desktop' ? 'desktop app' : 'browser mode'})`],
    ['Library folder', info.libraryDir],
    ['Node', info.node],
    ['Electron', info.electron ?? '—'],
    ['onnxruntime', info.onnxruntime],
    ['Platform', `${info.platform} ${info.arch}`],
  ];
  return (
    <table className="kv" aria-label="System information">
      <tbody>
        {rows.map(([k, v]) => (
          <tr key={k}>
            <th scope="row">{k}</th>
            <td>{v}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Doctor() {
  const doctor = useCall('system.doctor', {}, { staleTime: Infinity });
  if (doctor.isPending) return <p className="muted">Probing execution providers…</p>;
  if (doctor.isError) return <p className="error">Doctor failed: {doctor.error.message}</p>;
  return (
    <>
      <table className="grid" aria-label="Execution providers">
        <thead>
          <tr>
            <th>Execution provider</th>
            <th>Status</th>
            <th>Details</th>
          </tr>
        </thead>
        <tbody>
          {doctor.data.results.map((r) => (
            <tr key={r.ep}>
              <td>
                <code>{r.ep}</code>
              </td>
              <td>
                <span className={`badge ${r.ok ? 'ok' : 'off'}`}>{r.ok ? 'ok' : 'unavailable'}</span>
              </td>
              <td className="muted">
                {r.ok ? `tiny graph ran in ${r.ms} ms` : r.reason}
                {r.hint && <p className="hint">To fix: {r.hint}</p>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <button onClick={() => void doctor.refetch()} disabled={doctor.isFetching}>
        {doctor.isFetching ? 'Probing…' : 'Run again'}
      </button>
    </>
  );
}

export function Settings() {
  const info = useCall('system.info', {});
  return (
    <Page title="Settings" subtitle="System information and hardware check.">
      <h2>System</h2>
      {info.isError ? (
        <p className="error">{info.error.message}</p>
      ) : info.data ? (
        <SystemInfo info={info.data} />
      ) : (
        <p className="muted">Loading…</p>
      )}
      <h2>Doctor</h2>
      <Doctor />
    </Page>
  );
}
