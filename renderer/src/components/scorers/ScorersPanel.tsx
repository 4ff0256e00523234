// Loaded scorers: load one from the installed catalog models or the local imports, see the EP and precision
// it actually runs with and its background scoring job, score the library again, unload. Chips in Compare
// and Generate fill in from the `score.updated` events the jobs emit.
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { CallInput, CallOutput } from '../../../../main/contract';
import { callKey, useApi, useCall, useEvent } from '../../api/hooks';
import './scorers.css';

type Catalog = CallOutput<'models.catalog'>;
type Loaded = CallOutput<'scorers.list'>['scorers'][number];
type Ep = NonNullable<CallInput<'scorers.load'>['ep']>;

const CLIP_LAYOUTS = new Set(['openai-clip', 'open-clip', 'hf-clip']);
const EPS: Ep[] = ['cpu', 'webgpu', 'cuda', 'dml', 'coreml'];

/** Installed catalog scorers and CLIP-layout local imports, as load choices. */
function choices(catalog: Catalog): { id: string; name: string }[] {
  return [
    ...catalog.models
      .filter((m) => m.purpose === 'scorer' && m.state === 'installed')
      .map((m) => ({ id: m.id, name: m.name })),
    ...catalog.local
      .filter((m) => CLIP_LAYOUTS.has(m.detected.kind))
      .map((m) => ({ id: m.id, name: `${m.name} (local)` })),
  ];
}

function JobLine({ jobId }: { jobId: string | null }) {
  const [state, setState] = useState<{ progress: number; message: string } | null>(null);
  useEvent('job.progress', (job) => {
    if (job.id === jobId) setState({ progress: job.progress, message: job.message });
  });
  if (!jobId) return <span className="muted small">idle</span>;
  return (
    <span className="scorer-job">
      <progress max={1} value={state?.progress ?? 0} aria-label="Scoring progress" />
      <span className="small muted">{state?.message || 'scoring…'}</span>
    </span>
  );
}

function LoadedRow({ scorer, onChange }: { scorer: Loaded; onChange: () => void }) {
  const api = useApi();
  const [error, setError] = useState<string | null>(null);
  const run = async (work: () => Promise<unknown>) => {
    setError(null);
    try {
      await work();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      onChange();
    }
  };
  return (
    <tr>
      <td className="model-name" title={scorer.model}>
        {scorer.id}
      </td>
      <td className="small">{scorer.kind}</td>
      <td className="small">
        {scorer.ep} · {scorer.precision}
      </td>
      <td>
        <JobLine jobId={scorer.jobId} />
        {scorer.failed > 0 && (
          <div className="small" role="status">
            {scorer.failed} {scorer.failed === 1 ? 'image' : 'images'} could not be scored{' '}
            <button
              onClick={() =>
                void run(() => api.call('scorers.scoreLibrary', { id: scorer.id, retryFailed: true }))
              }
            >
              Retry
            </button>
          </div>
        )}
        {error && <div className="error small">{error}</div>}
      </td>
      <td className="model-actions">
        <button onClick={() => void run(() => api.call('scorers.scoreLibrary', { id: scorer.id }))}>
          Score library
        </button>
        <button
          className="danger"
          onClick={() => void run(() => api.call('scorers.unload', { id: scorer.id }))}
        >
          Unload
        </button>
      </td>
    </tr>
  );
}

export function ScorersPanel({ catalog }: { catalog: Catalog }) {
  const api = useApi();
  const queryClient = useQueryClient();
  const loaded = useCall('scorers.list', {});
  const options = choices(catalog);
  const [modelId, setModelId] = useState('');
  const [vocab, setVocab] = useState('');
  const [ep, setEp] = useState<Ep | ''>('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const refresh = () => {
    void queryClient.invalidateQueries({ queryKey: callKey('scorers.list', {}) });
    void queryClient.invalidateQueries({ queryKey: callKey('library.status', {}) });
  };
  // A scoring job that finishes frees its row's job line.
  useEvent('job.progress', (job) => {
    if (job.kind === 'scores' && job.status !== 'running') refresh();
  });

  const load = async () => {
    const chosen = modelId || options[0]?.id;
    if (!chosen) return;
    setBusy(true);
    setError(null);
    try {
      await api.call('scorers.load', {
        modelId: chosen,
        ...(vocab.trim() ? { vocab: vocab.trim() } : {}),
        ...(ep ? { ep } : {}),
      });
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
      refresh();
    }
  };

  return (
    <section className="scorers-panel" aria-label="Loaded scorers">
      {loaded.data && loaded.data.scorers.length > 0 ? (
        <table className="grid models-table">
          <thead>
            <tr>
              <th>Scorer</th>
              <th>Kind</th>
              <th>Runs on</th>
              <th>Background scoring</th>
              <th aria-label="Actions" />
            </tr>
          </thead>
          <tbody>
            {loaded.data.scorers.map((s) => (
              <LoadedRow key={s.id} scorer={s} onChange={refresh} />
            ))}
          </tbody>
        </table>
      ) : (
        <p className="muted small">No scorer loaded: the score chips say so until one is.</p>
      )}
      {options.length === 0 ? (
        <p className="muted small">Download or import a scorer above to load it.</p>
      ) : (
        <div className="scorer-load row">
          <select aria-label="Scorer model" value={modelId} onChange={(e) => setModelId(e.target.value)}>
            {options.map((o) => (
              <option key={o.id} value={o.id}>
                {o.name}
              </option>
            ))}
          </select>
          <select
            aria-label="Execution provider"
            value={ep}
            onChange={(e) => setEp(e.target.value as Ep | '')}
          >
            <option value="">cpu (default)</option>
            {EPS.filter((name) => name !== 'cpu').map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
          <input
            aria-label="Vocabulary file"
            placeholder="vocab (default: installed CLIP BPE)"
            value={vocab}
            onChange={(e) => setVocab(e.target.value)}
          />
          <button className="primary" disabled={busy} onClick={() => void load()}>
            {busy ? 'Loading…' : 'Load'}
          </button>
        </div>
      )}
      {error && <p className="error small">{error}</p>}
    </section>
  );
}
