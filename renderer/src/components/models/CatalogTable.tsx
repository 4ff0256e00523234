// The catalog: one row per model with its size, purpose, state (with a live progress bar), EP and actions.
import type { CallOutput, EventPayload } from '../../../../main/contract';
import { EpBadge } from './EpBadge';
import { formatBytes, formatDuration, formatRate, secondsLeft } from './format';

export type CatalogModel = CallOutput<'models.catalog'>['models'][number];
export type ModelProgress = EventPayload<'model.progress'>;
export type ModelAction = 'download' | 'pause' | 'resume' | 'cancel' | 'delete';

const PURPOSE: Record<CatalogModel['purpose'], string> = {
  scorer: 'Scorer',
  generator: 'Generator',
  tokenizer: 'Tokenizer',
};

const STATE: Record<CatalogModel['state'], { label: string; tone: string }> = {
  installed: { label: 'Installed', tone: 'ok' },
  downloading: { label: 'Downloading', tone: 'busy' },
  partial: { label: 'Paused', tone: 'off' },
  absent: { label: 'Not downloaded', tone: 'none' },
};

function Progress({ model, progress }: { model: CatalogModel; progress: ModelProgress | undefined }) {
  const partial = model.files.reduce((sum, f) => sum + f.bytes + f.partialBytes, 0);
  const bytes = progress?.bytes ?? partial;
  const total = progress?.total || model.downloadSize;
  const left = progress ? secondsLeft(bytes, total, progress.bytesPerSecond) : null;
  return (
    <div className="model-progress">
      <progress
        max={total || 1}
        value={Math.min(bytes, total)}
        aria-label={`${model.name} download progress`}
      />
      <div className="small muted">
        {formatBytes(bytes)} of {formatBytes(total, model.sizeIsEstimate)}
        {progress && progress.bytesPerSecond > 0 && ` · ${formatRate(progress.bytesPerSecond)}`}
        {left !== null && ` · ${formatDuration(left)} left`}
      </div>
    </div>
  );
}

function Actions({
  model,
  busy,
  onAction,
}: {
  model: CatalogModel;
  busy: boolean;
  onAction: (action: ModelAction, model: CatalogModel) => void;
}) {
  const button = (action: ModelAction, label: string, className = '') => (
    <button
      className={className}
      disabled={busy}
      onClick={() => onAction(action, model)}
      aria-label={`${label} ${model.name}`}
    >
      {label}
    </button>
  );
  switch (model.state) {
    case 'absent':
      return button('download', 'Download', 'primary');
    case 'downloading':
      return (
        <>
          {button('pause', 'Pause')}
          {button('cancel', 'Cancel')}
        </>
      );
    case 'partial':
      return (
        <>
          {button('resume', 'Resume', 'primary')}
          {button('cancel', 'Cancel')}
        </>
      );
    case 'installed':
      return button('delete', 'Delete', 'danger');
  }
}

export function CatalogTable({
  models,
  progress,
  busy,
  errors,
  onAction,
}: {
  models: CatalogModel[];
  progress: ReadonlyMap<string, ModelProgress>;
  busy: ReadonlySet<string>;
  errors: ReadonlyMap<string, string>;
  onAction: (action: ModelAction, model: CatalogModel) => void;
}) {
  return (
    <table className="grid models-table" aria-label="Model catalog">
      <thead>
        <tr>
          <th>Model</th>
          <th>Purpose</th>
          <th>Size</th>
          <th>State</th>
          <th>Runs on</th>
          <th aria-label="Actions" />
        </tr>
      </thead>
      <tbody>
        {models.map((model) => {
          const state = STATE[model.state];
          const live = progress.get(model.id);
          return (
            <tr key={model.id} data-model={model.id}>
              <td className="model-cell">
                <div className="model-name">{model.name}</div>
                <div className="small">{model.description}</div>
                <div className="small muted">
                  {model.architecture} · {model.license}
                  {model.requires.length > 0 && ` · needs ${model.requires.join(', ')}`}
                </div>
                {model.manualDownload && model.state !== 'installed' && (
                  <div className="small muted">
                    {model.manualDownload.note}{' '}
                    <a href={model.manualDownload.page} target="_blank" rel="noreferrer">
                      Source page
                    </a>
                  </div>
                )}
                {errors.get(model.id) && (
                  <div className="small error" role="alert">
                    {errors.get(model.id)}
                  </div>
                )}
              </td>
              <td>{PURPOSE[model.purpose]}</td>
              <td className="nowrap">
                {formatBytes(model.downloadSize, model.sizeIsEstimate)}
                {model.bytesOnDisk > 0 && model.state === 'installed' && (
                  <div className="small muted">{formatBytes(model.bytesOnDisk)} on disk</div>
                )}
              </td>
              <td className="state-cell">
                <span className={`badge model-state ${state.tone}`}>{state.label}</span>
                {(model.state === 'downloading' || model.state === 'partial') && (
                  <Progress model={model} progress={live} />
                )}
              </td>
              <td>
                <EpBadge ep={model.ep} />
              </td>
              <td className="model-actions">
                <Actions model={model} busy={busy.has(model.id)} onAction={onAction} />
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
