import type { CallOutput } from '../../../../main/contract';
import { EpBadge } from './EpBadge';
import { formatBytes } from './format';

export type LocalModel = CallOutput<'models.catalog'>['local'][number];

export function LocalModelsTable({
  models,
  onDelete,
}: {
  models: LocalModel[];
  onDelete: (model: LocalModel) => void;
}) {
  return (
    <table className="grid models-table" aria-label="Local models">
      <thead>
        <tr>
          <th>Model</th>
          <th>Architecture</th>
          <th>On disk</th>
          <th>Runs on</th>
          <th aria-label="Actions" />
        </tr>
      </thead>
      <tbody>
        {models.map((model) => (
          <tr key={model.id}>
            <td className="model-cell">
              <div className="model-name">{model.name}</div>
              <div className="small muted path" title={model.path}>
                {model.path}
              </div>
            </td>
            <td className="small">{model.detected.label}</td>
            <td className="nowrap">
              {model.mode === 'copied' ? formatBytes(model.bytesOnDisk) : 'in place'}
            </td>
            <td>
              <EpBadge ep={model.ep} />
            </td>
            <td className="model-actions">
              <button className="danger" onClick={() => onDelete(model)} aria-label={`Remove ${model.name}`}>
                Remove
              </button>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
