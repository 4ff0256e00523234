// Import as a background job: paths are read by the machine running the studio (in browser mode, the
// server), progress comes from job.progress events, and the report lists every file that failed.
import { useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { ImportRequestSchema, type CallInput, type CallOutput } from '../../../../main/contract';
import { useCallMutation, useCallOnDemand, useEvent } from '../../api/hooks';
import '../form.css';
import { Dialog } from './Dialog';

type Format = CallInput<'library.import'>['format'];
type Report = NonNullable<CallOutput<'library.importReport'>['report']>;
type JobStatus = CallOutput<'jobs.list'>['jobs'][number]['status'];

const FORMAT_IDS = ImportRequestSchema.options.map((request) => request.shape.format.value);
const FORMATS: Record<Format, { label: string; hint: string }> = {
  folder: { label: 'Folder + prompts file', hint: 'CSV or JSONL with image, prompt[, group, gold]' },
  hpd: { label: 'HPD v1 / v2 JSON', hint: 'preference_*.json, train.json or test.json' },
  pickapic: { label: 'Pick-a-Pic parquet', hint: 'caption, jpg_0, jpg_1, label_0, label_1' },
  pairs: { label: 'Pairs JSONL', hint: 'prompt, chosen, rejected, tie, annotator' },
};

export function ImportDialog({ onClose }: { onClose: () => void }) {
  const queryClient = useQueryClient();
  const [format, setFormat] = useState<Format>('folder');
  const [folder, setFolder] = useState('');
  const [prompts, setPrompts] = useState('');
  const [file, setFile] = useState('');
  const [split, setSplit] = useState<'pairs' | 'group'>('pairs');
  const [progress, setProgress] = useState<{ fraction: number; message: string } | null>(null);
  const [ended, setEnded] = useState<JobStatus | null>(null);
  const startImport = useCallMutation('library.import', {
    onSuccess: () => setProgress({ fraction: 0, message: 'Starting…' }),
  });
  const cancelJob = useCallMutation('jobs.cancel');
  const outcome = useCallOnDemand('library.importReport');
  const jobId = startImport.data?.jobId ?? null;

  useEvent('job.progress', (job) => {
    if (job.id !== jobId) return;
    setProgress({ fraction: job.progress, message: job.message });
    if (job.status === 'running') return;
    setEnded(job.status);
    // Everything may show the imported items; the report is asked for after, so it is fetched once.
    void queryClient.invalidateQueries();
    outcome.ask({ jobId: job.id });
  });

  const start = (event: FormEvent) => {
    event.preventDefault();
    setEnded(null);
    outcome.forget();
    startImport.mutate(format === 'folder' ? { format, folder, prompts, split } : { format, file });
  };

  const report = outcome.result.data?.report ?? null;
  const error =
    startImport.error?.message ??
    cancelJob.error?.message ??
    outcome.result.error?.message ??
    outcome.result.data?.error ??
    (ended === 'cancelled' ? 'Cancelled; what was read before is kept.' : null);
  const running = startImport.isPending || (jobId !== null && ended === null);
  return (
    <Dialog title="Import" onClose={onClose}>
      <form className="form" onSubmit={start}>
        <label className="field">
          <span>Format</span>
          <select value={format} onChange={(e) => setFormat(e.target.value as Format)} aria-label="Format">
            {FORMAT_IDS.map((id) => (
              <option key={id} value={id}>
                {FORMATS[id].label}
              </option>
            ))}
          </select>
          <span className="muted small">{FORMATS[format].hint}</span>
        </label>
        {format === 'folder' ? (
          <>
            <PathField label="Image folder" value={folder} onChange={setFolder} />
            <PathField label="Prompts file" value={prompts} onChange={setPrompts} />
            <fieldset className="field">
              <span>Comparisons</span>
              <label className="check">
                <input
                  type="radio"
                  name="split"
                  checked={split === 'pairs'}
                  onChange={() => setSplit('pairs')}
                />
                every pair of a prompt's images (two-up)
              </label>
              <label className="check">
                <input
                  type="radio"
                  name="split"
                  checked={split === 'group'}
                  onChange={() => setSplit('group')}
                />
                one N-way comparison per prompt
              </label>
            </fieldset>
          </>
        ) : (
          <PathField label="File" value={file} onChange={setFile} />
        )}
        <p className="muted small">Paths are on the machine running the studio.</p>
        <div className="row">
          <button type="submit" className="primary" disabled={running}>
            Import
          </button>
          {running && (
            <button type="button" onClick={() => jobId && cancelJob.mutate({ id: jobId })}>
              Cancel
            </button>
          )}
          <button type="button" onClick={onClose}>
            Close
          </button>
        </div>
      </form>
      {progress && (
        <div className="import-progress">
          <progress max={1} value={progress.fraction} aria-label="Import progress" />
          <span className="small muted">{progress.message}</span>
        </div>
      )}
      {error && <p className="error">{error}</p>}
      {report && <ImportReportView report={report} />}
    </Dialog>
  );
}

function PathField({
  label,
  value,
  onChange,
}: {
  label: string;
  value: string;
  onChange: (v: string) => void;
}) {
  return (
    <label className="field">
      <span>{label}</span>
      <input
        type="text"
        value={value}
        onChange={(e) => onChange(e.target.value)}
        aria-label={label}
        spellCheck={false}
      />
    </label>
  );
}

function ImportReportView({ report }: { report: Report }) {
  return (
    <div className="import-report" aria-label="Import report">
      <p>
        <b>{report.records}</b> records · <b>{report.imagesAdded}</b> images added ({report.imagesDuplicate}{' '}
        already there) · <b>{report.comparisonsAdded}</b> comparisons ({report.comparisonsDuplicate}{' '}
        duplicates) · <b>{report.judgmentsAdded}</b> judgments
      </p>
      {report.errors.length > 0 && (
        <details open>
          <summary className="error">{report.errors.length} files could not be imported</summary>
          <ul className="error-list">
            {report.errors.map((e, i) => (
              <li key={i}>
                <code>{e.file}</code> — {e.message}
              </li>
            ))}
          </ul>
        </details>
      )}
    </div>
  );
}
