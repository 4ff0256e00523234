// Models: the catalog (sizes, purpose, state, live downloads with pause / resume / cancel, EP, delete), local
// imports, and disk use. Download progress arrives as `model.progress` events.
import { useState } from 'react';
import { useCall, useCallMutation, useEvent, useInvalidate } from '../api/hooks';
import { CatalogTable, MODEL_STORE_CALLS, type ModelProgress } from '../components/models/CatalogTable';
import { ConfirmDialog } from '../components/models/ConfirmDialog';
import { formatBytes } from '../components/models/format';
import { ImportPanel } from '../components/models/ImportPanel';
import { LocalModelsTable, type LocalModel } from '../components/models/LocalModels';
import { Page } from '../components/Page';
import { ScorersPanel } from '../components/scorers/ScorersPanel';
import '../components/models/models.css';

type Deleting = { id: string; name: string; bytes: number; local: boolean };

function DiskSummary({ used, installed, root }: { used: number; installed: number; root: string }) {
  const free = useCall('models.diskUsage', {}, { staleTime: 10_000 });
  return (
    <div className="disk-summary" aria-label="Disk usage">
      <div>
        <span className="disk-used">{formatBytes(used)}</span> used by models
        {free.data?.free != null && <span className="muted"> · {formatBytes(free.data.free)} free</span>}
      </div>
      <div className="small muted">
        {installed === 0 ? 'No models installed' : `${installed} installed`} · stored in <code>{root}</code>
      </div>
    </div>
  );
}

export function Models() {
  const invalidate = useInvalidate();
  const catalog = useCall('models.catalog', {});
  const [progress, setProgress] = useState<ReadonlyMap<string, ModelProgress>>(new Map());
  const [deleting, setDeleting] = useState<Deleting | null>(null);
  const remove = useCallMutation('models.delete', {
    invalidates: MODEL_STORE_CALLS,
    onSuccess: () => setDeleting(null),
  });
  const askDelete = (target: Deleting) => {
    remove.reset();
    setDeleting(target);
  };

  useEvent('model.progress', (event) => {
    setProgress((old) => new Map(old).set(event.modelId, event));
    const known = catalog.data?.models.find((m) => m.id === event.modelId);
    // A new download, or one that stopped: the row's state changes, so fetch the catalog again.
    if (event.state !== 'downloading' || known?.state !== 'downloading')
      void invalidate(...MODEL_STORE_CALLS);
  });

  const data = catalog.data;
  const liveProgress = new Map(progress);
  for (const model of data?.models ?? []) {
    if (model.progress && !liveProgress.has(model.id)) liveProgress.set(model.id, model.progress);
  }
  return (
    <Page title="Models" subtitle="Scoring and generation models, downloaded to your user data folder.">
      {catalog.isError && <p className="error">{catalog.error.message}</p>}
      {!data && !catalog.isError && <p className="muted">Loading the catalog…</p>}
      {data && (
        <>
          <DiskSummary
            used={data.diskUsage}
            installed={data.models.filter((m) => m.state === 'installed').length + data.local.length}
            root={data.root}
          />
          <h2>Catalog</h2>
          <CatalogTable
            models={data.models}
            progress={liveProgress}
            onDelete={(m) => askDelete({ id: m.id, name: m.name, bytes: m.bytesOnDisk, local: false })}
          />
          <h2>Loaded scorers</h2>
          <ScorersPanel catalog={data} />
          <h2>Import a local checkpoint</h2>
          <p className="small muted">
            The architecture is read from the file’s tensors: OpenAI CLIP / HPS v1, open_clip / HPS v2,
            transformers CLIP, the LAION aesthetic head, SD 1.x single files and diffusers folders, kohya /
            PEFT LoRAs and trained scorers.
          </p>
          <ImportPanel />
          {data.local.length > 0 && (
            <>
              <h2>Local models</h2>
              <LocalModelsTable
                models={data.local}
                onDelete={(m: LocalModel) =>
                  askDelete({ id: m.id, name: m.name, bytes: m.bytesOnDisk, local: m.mode === 'in-place' })
                }
              />
            </>
          )}
        </>
      )}
      {deleting && (
        <ConfirmDialog
          title={`Delete ${deleting.name}?`}
          confirmLabel="Delete"
          busy={remove.isPending}
          error={remove.error?.message}
          onConfirm={() => remove.mutate({ id: deleting.id })}
          onCancel={() => setDeleting(null)}
        >
          {deleting.local
            ? 'It is removed from the list; the file itself stays where it is.'
            : `This frees ${formatBytes(deleting.bytes)}. You can download or import it again later.`}
        </ConfirmDialog>
      )}
    </Page>
  );
}
