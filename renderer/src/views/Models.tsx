// Models: the catalog (sizes, purpose, state, live downloads with pause / resume / cancel, EP, delete), local
// imports, and disk use. Download progress arrives as `model.progress` events.
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { callKey, useApi, useCall, useEvent } from '../api/hooks';
import {
  CatalogTable,
  type CatalogModel,
  type ModelAction,
  type ModelProgress,
} from '../components/models/CatalogTable';
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
  const api = useApi();
  const queryClient = useQueryClient();
  const catalog = useCall('models.catalog', {});
  const [progress, setProgress] = useState<ReadonlyMap<string, ModelProgress>>(new Map());
  const [busy, setBusy] = useState<ReadonlySet<string>>(new Set());
  const [errors, setErrors] = useState<ReadonlyMap<string, string>>(new Map());
  const [deleting, setDeleting] = useState<Deleting | null>(null);

  const refresh = () => {
    void queryClient.invalidateQueries({ queryKey: callKey('models.catalog', {}) });
    void queryClient.invalidateQueries({ queryKey: callKey('models.diskUsage', {}) });
  };

  useEvent('model.progress', (event) => {
    setProgress((old) => new Map(old).set(event.modelId, event));
    if (event.state === 'failed' && event.error)
      setErrors((old) => new Map(old).set(event.modelId, event.error!));
    const known = catalog.data?.models.find((m) => m.id === event.modelId);
    // A new download, or one that stopped: the row's state changes, so fetch the catalog again.
    if (event.state !== 'downloading' || known?.state !== 'downloading') refresh();
  });

  const mark = (id: string, on: boolean) =>
    setBusy((old) => {
      const next = new Set(old);
      if (on) next.add(id);
      else next.delete(id);
      return next;
    });

  const act = async (action: ModelAction, model: CatalogModel) => {
    if (action === 'delete') {
      setDeleting({ id: model.id, name: model.name, bytes: model.bytesOnDisk, local: false });
      return;
    }
    mark(model.id, true);
    setErrors((old) => {
      const next = new Map(old);
      next.delete(model.id);
      return next;
    });
    try {
      if (action === 'download') await api.call('models.download', { id: model.id });
      if (action === 'resume') await api.call('models.resume', { id: model.id });
      if (action === 'pause') await api.call('models.pause', { id: model.id });
      if (action === 'cancel') await api.call('models.cancel', { id: model.id });
    } catch (error) {
      setErrors((old) => new Map(old).set(model.id, (error as Error).message));
    } finally {
      mark(model.id, false);
      refresh();
    }
  };

  const confirmDelete = async () => {
    if (!deleting) return;
    mark(deleting.id, true);
    try {
      await api.call('models.delete', { id: deleting.id });
    } catch (error) {
      setErrors((old) => new Map(old).set(deleting.id, (error as Error).message));
    } finally {
      mark(deleting.id, false);
      setDeleting(null);
      refresh();
    }
  };

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
            busy={busy}
            errors={errors}
            onAction={(a, m) => void act(a, m)}
          />
          <h2>Loaded scorers</h2>
          <ScorersPanel catalog={data} />
          <h2>Import a local checkpoint</h2>
          <p className="small muted">
            The architecture is read from the file’s tensors: OpenAI CLIP / HPS v1, open_clip / HPS v2,
            transformers CLIP, the LAION aesthetic head, SD 1.x single files and diffusers folders, kohya /
            PEFT LoRAs and trained scorers.
          </p>
          <ImportPanel onImported={refresh} />
          {data.local.length > 0 && (
            <>
              <h2>Local models</h2>
              <LocalModelsTable
                models={data.local}
                onDelete={(m: LocalModel) =>
                  setDeleting({ id: m.id, name: m.name, bytes: m.bytesOnDisk, local: m.mode === 'in-place' })
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
          busy={busy.has(deleting.id)}
          onConfirm={() => void confirmDelete()}
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
