// Import a checkpoint the user already has: its architecture is read from its tensors first, then it is
// copied into the store (as a catalog model when it is one) or registered where it lies.
import { useState, type FormEvent } from 'react';
import type { CallOutput } from '../../../../main/contract';
import { useApi } from '../../api/hooks';

type Detection = CallOutput<'models.detect'>;
type Detected = Extract<Detection, { supported: true }>;

function DetectedCard({ detection }: { detection: Detected }) {
  const { detected } = detection;
  return (
    <div className="detected" aria-label="Detected architecture">
      <div>
        <span className="badge ok">{detected.kind}</span>{' '}
        <strong className="detected-label">{detected.label}</strong>
      </div>
      <dl className="detected-details small">
        {Object.entries(detected.details).map(([key, value]) => (
          <div key={key}>
            <dt>{key}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
    </div>
  );
}

export function ImportPanel({ onImported }: { onImported: () => void }) {
  const api = useApi();
  const [path, setPath] = useState('');
  const [detection, setDetection] = useState<Detection | null>(null);
  const [target, setTarget] = useState('');
  const [mode, setMode] = useState<'copy' | 'in-place'>('copy');
  const [status, setStatus] = useState<{ busy: boolean; error?: string; done?: string }>({ busy: false });

  const detect = async (event: FormEvent) => {
    event.preventDefault();
    setDetection(null);
    setStatus({ busy: true });
    try {
      const result = await api.call('models.detect', { path: path.trim() });
      setDetection(result);
      setTarget(result.supported && result.candidates.length === 1 ? result.candidates[0]!.id : '');
      setStatus({ busy: false });
    } catch (error) {
      setStatus({ busy: false, error: (error as Error).message });
    }
  };

  const runImport = async () => {
    setStatus({ busy: true });
    try {
      const asCatalog = mode === 'copy' && target !== '';
      const result = await api.call('models.import', {
        path: path.trim(),
        mode,
        ...(asCatalog ? { modelId: target } : {}),
      });
      const where = result.modelId
        ? `as ${result.modelId}`
        : mode === 'copy'
          ? 'as a local model'
          : 'in place';
      const check =
        result.matchesCatalog === false ? ' (its hash differs from the catalog’s published file)' : '';
      setStatus({ busy: false, done: `Imported ${where}${check}.` });
      onImported();
    } catch (error) {
      setStatus({ busy: false, error: (error as Error).message });
    }
  };

  const supported = detection?.supported ? detection : null;
  return (
    <section className="import-panel" aria-label="Import a local checkpoint">
      <form className="row" onSubmit={(e) => void detect(e)}>
        <input
          className="path-input"
          type="text"
          placeholder="/path/to/checkpoint.safetensors, .pt, .pth or a diffusers folder"
          aria-label="Checkpoint path"
          value={path}
          onChange={(e) => {
            setPath(e.target.value);
            setDetection(null);
            setStatus({ busy: false });
          }}
        />
        <button type="submit" disabled={status.busy || path.trim() === ''}>
          {status.busy && !detection ? 'Reading…' : 'Detect'}
        </button>
      </form>
      {detection && !detection.supported && (
        <p className="error unsupported" role="alert">
          {detection.message}
        </p>
      )}
      {supported && (
        <>
          <DetectedCard detection={supported} />
          <div className="row import-options">
            <label>
              Import as{' '}
              <select
                value={target}
                onChange={(e) => setTarget(e.target.value)}
                disabled={mode === 'in-place'}
              >
                <option value="">a local model</option>
                {supported.candidates.map((c) => (
                  <option key={c.id} value={c.id}>
                    {c.name}
                  </option>
                ))}
              </select>
            </label>
            <label>
              <select value={mode} onChange={(e) => setMode(e.target.value as 'copy' | 'in-place')}>
                <option value="copy">copy into the model folder</option>
                <option value="in-place">use it where it is</option>
              </select>
            </label>
            <button className="primary" onClick={() => void runImport()} disabled={status.busy}>
              {status.busy ? 'Importing…' : 'Import'}
            </button>
          </div>
        </>
      )}
      {status.error && (
        <p className="error" role="alert">
          {status.error}
        </p>
      )}
      {status.done && <p className="ok-text">{status.done}</p>}
    </section>
  );
}
