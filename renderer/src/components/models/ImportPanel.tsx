// Import a checkpoint the user already has: its architecture is read from its tensors first, then it is
// copied into the store (as a catalog model when it is one) or registered where it lies.
import { useState, type FormEvent } from 'react';
import type { CallInput, CallOutput } from '../../../../main/contract';
import { useCallMutation, useCallOnDemand } from '../../api/hooks';
import '../form.css';
import { MODEL_STORE_CALLS } from './CatalogTable';

type Detection = CallOutput<'models.detect'>;
type Detected = Extract<Detection, { supported: true }>;
type ImportMode = NonNullable<CallInput<'models.import'>['mode']>;

function importedNote(result: CallOutput<'models.import'>, mode: ImportMode | undefined): string {
  const where = result.modelId ? `as ${result.modelId}` : mode === 'copy' ? 'as a local model' : 'in place';
  const check =
    result.matchesCatalog === false ? ' (its hash differs from the catalog’s published file)' : '';
  return `Imported ${where}${check}.`;
}

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

export function ImportPanel() {
  const [path, setPath] = useState('');
  const detect = useCallOnDemand('models.detect');
  // null: the one catalog model the file matches, if exactly one does.
  const [target, setTarget] = useState<string | null>(null);
  const [mode, setMode] = useState<ImportMode>('copy');
  const runImport = useCallMutation('models.import', { invalidates: MODEL_STORE_CALLS });
  const detection = detect.result.data;
  const busy = detect.result.isFetching || runImport.isPending;
  const error = runImport.error?.message ?? detect.result.error?.message;

  const startDetect = (event: FormEvent) => {
    event.preventDefault();
    setTarget(null);
    runImport.reset();
    detect.ask({ path: path.trim() });
  };
  const changePath = (next: string) => {
    setPath(next);
    detect.forget();
    runImport.reset();
  };

  const supported = detection?.supported ? detection : null;
  const chosen = target ?? (supported?.candidates.length === 1 ? supported.candidates[0]!.id : '');
  const startImport = () =>
    runImport.mutate({ path: path.trim(), mode, ...(mode === 'copy' && chosen ? { modelId: chosen } : {}) });
  return (
    <section className="import-panel" aria-label="Import a local checkpoint">
      <form className="row" onSubmit={startDetect}>
        <input
          className="path-input"
          type="text"
          placeholder="/path/to/checkpoint.safetensors, .pt, .pth or a diffusers folder"
          aria-label="Checkpoint path"
          value={path}
          onChange={(e) => changePath(e.target.value)}
        />
        <button type="submit" disabled={busy || path.trim() === ''}>
          {detect.result.isFetching ? 'Reading…' : 'Detect'}
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
                value={chosen}
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
              <select value={mode} onChange={(e) => setMode(e.target.value as ImportMode)}>
                <option value="copy">copy into the model folder</option>
                <option value="in-place">use it where it is</option>
              </select>
            </label>
            <button className="primary" onClick={startImport} disabled={busy}>
              {runImport.isPending ? 'Importing…' : 'Import'}
            </button>
          </div>
        </>
      )}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {runImport.data && <p className="ok-text">{importedNote(runImport.data, runImport.variables?.mode)}</p>}
    </section>
  );
}
