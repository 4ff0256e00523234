// The catalog: one row per model with its size, purpose, state (with a live progress bar), EP and actions.
import type { CallOutput, EventPayload } from '../../../../main/contract';
import { lastWriteError, useCallMutation } from '../../api/hooks';
import { EpBadge } from './EpBadge';
import { formatBytes, formatDuration, formatRate, secondsLeft } from './format';

export type CatalogModel = CallOutput<'models.catalog'>['models'][number];
export type ModelProgress = EventPayload<'model.progress'>;

/** What a download action or a delete changes: the catalog's states and the disk use. */
export const MODEL_STORE_CALLS = ['models.catalog', 'models.diskUsage'] as const;

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

function useDownloadActions() {
  const options = { invalidates: MODEL_STORE_CALLS };
  return {
    download: useCallMutation('models.download', options),
    pause: useCallMutation('models.pause', options),
    resume: useCallMutation('models.resume', options),
    cancel: useCallMutation('models.cancel', options),
  };
}

type DownloadActions = ReturnType<typeof useDownloadActions>;

function Actions({
  model,
  actions,
  onDelete,
}: {
  model: CatalogModel;
  actions: DownloadActions;
  onDelete: () => void;
}) {
  const busy = Object.values(actions).some((action) => action.isPending);
  const button = (label: string, onClick: () => void, className = '') => (
    <button className={className} disabled={busy} onClick={onClick} aria-label={`${label} ${model.name}`}>
      {label}
    </button>
  );
  const id = { id: model.id };
  switch (model.state) {
    case 'absent':
      return button('Download', () => actions.download.mutate(id), 'primary');
    case 'downloading':
      return (
        <>
          {button('Pause', () => actions.pause.mutate(id))}
          {button('Cancel', () => actions.cancel.mutate(id))}
        </>
      );
    case 'partial':
      return (
        <>
          {button('Resume', () => actions.resume.mutate(id), 'primary')}
          {button('Cancel', () => actions.cancel.mutate(id))}
        </>
      );
    case 'installed':
      return button('Delete', onDelete, 'danger');
  }
}

function CatalogRow({
  model,
  progress,
  onDelete,
}: {
  model: CatalogModel;
  progress: ModelProgress | undefined;
  onDelete: () => void;
}) {
  const actions = useDownloadActions();
  const state = STATE[model.state];
  const error =
    lastWriteError(...Object.values(actions)) ?? (progress?.state === 'failed' ? progress.error : undefined);
  return (
    <tr data-model={model.id}>
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
        {error && (
          <div className="small error" role="alert">
            {error}
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
          <Progress model={model} progress={progress} />
        )}
      </td>
      <td>
        <EpBadge ep={model.ep} />
      </td>
      <td className="model-actions">
        <Actions model={model} actions={actions} onDelete={onDelete} />
      </td>
    </tr>
  );
}

export function CatalogTable({
  models,
  progress,
  onDelete,
}: {
  models: CatalogModel[];
  progress: ReadonlyMap<string, ModelProgress>;
  onDelete: (model: CatalogModel) => void;
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
        {models.map((model) => (
          <CatalogRow
            key={model.id}
            model={model}
            progress={progress.get(model.id)}
            onDelete={() => onDelete(model)}
          />
        ))}
      </tbody>
    </table>
  );
}
