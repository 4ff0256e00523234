// Loaded scorers: load one from the installed catalog models or the local imports, see the EP and precision
// it actually runs with and its background scoring job, score the library again, unload. Chips in Compare
// and Generate fill in from the `score.updated` events the jobs emit.
import { useState } from 'react';
import { EXECUTION_PROVIDERS, type CallOutput, type ExecutionProvider } from '../../../../main/contract';
import { lastWriteError, useCall, useCallMutation, useEvent, useInvalidate } from '../../api/hooks';
import '../form.css';
import './scorers.css';

type Catalog = CallOutput<'models.catalog'>;
type Loaded = CallOutput<'scorers.list'>['scorers'][number];

const CLIP_LAYOUTS = new Set(['openai-clip', 'open-clip', 'hf-clip']);
/** What loading, unloading or scoring changes: the loaded list and the library's scorers. */
const SCORER_CALLS = ['scorers.list', 'library.status'] as const;

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

function LoadedRow({ scorer }: { scorer: Loaded }) {
  const scoreLibrary = useCallMutation('scorers.scoreLibrary', { invalidates: SCORER_CALLS });
  const unload = useCallMutation('scorers.unload', { invalidates: SCORER_CALLS });
  const error = lastWriteError(scoreLibrary, unload);
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
              disabled={scoreLibrary.isPending}
              onClick={() => scoreLibrary.mutate({ id: scorer.id, retryFailed: true })}
            >
              Retry
            </button>
          </div>
        )}
        {error && <div className="error small">{error}</div>}
      </td>
      <td className="model-actions">
        <button disabled={scoreLibrary.isPending} onClick={() => scoreLibrary.mutate({ id: scorer.id })}>
          Score library
        </button>
        <button
          className="danger"
          disabled={unload.isPending}
          onClick={() => unload.mutate({ id: scorer.id })}
        >
          Unload
        </button>
      </td>
    </tr>
  );
}

export function ScorersPanel({ catalog }: { catalog: Catalog }) {
  const invalidate = useInvalidate();
  const loaded = useCall('scorers.list', {});
  const options = choices(catalog);
  const [modelId, setModelId] = useState('');
  const [vocab, setVocab] = useState('');
  const [ep, setEp] = useState<ExecutionProvider | ''>('');
  const load = useCallMutation('scorers.load', { invalidates: SCORER_CALLS });

  // A scoring job that finishes frees its row's job line.
  useEvent('job.progress', (job) => {
    if (job.kind === 'scores' && job.status !== 'running') void invalidate(...SCORER_CALLS);
  });

  const startLoad = () => {
    const chosen = modelId || options[0]?.id;
    if (!chosen) return;
    load.mutate({
      modelId: chosen,
      ...(vocab.trim() ? { vocab: vocab.trim() } : {}),
      ...(ep ? { ep } : {}),
    });
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
              <LoadedRow key={s.id} scorer={s} />
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
            onChange={(e) => setEp(e.target.value as ExecutionProvider | '')}
          >
            <option value="">cpu (default)</option>
            {EXECUTION_PROVIDERS.filter((name) => name !== 'cpu').map((name) => (
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
          <button className="primary" disabled={load.isPending} onClick={startLoad}>
            {load.isPending ? 'Loading…' : 'Load'}
          </button>
        </div>
      )}
      {load.error && <p className="error small">{load.error.message}</p>}
    </section>
  );
}
