// Import as a background job: paths are read by the machine running the studio (in browser mode, the
// server), progress comes from job.progress events, and the report lists every file that failed.
import { useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import type { CallInput, CallOutput } from '../../../../main/contract';
import { useApi, useEvent } from '../../api/hooks';
import { Dialog } from './Dialog';

type Format = CallInput<'library.import'>['format'];
type Report = NonNullable<CallOutput<'library.importReport'>['report']>;

const FORMATS: { id: Format; label: string; hint: string }[] = [
  { id: 'folder', label: 'Folder + prompts file', hint: 'CSV or JSONL with image, prompt[, group, gold]' },
  { id: 'hpd', label: 'HPD v1 / v2 JSON', hint: 'preference_*.json, train.json or test.json' },
  { id: 'pickapic', label: 'Pick-a-Pic parquet', hint: 'caption, jpg_0, jpg_1, label_0, label_1' },
  { id: 'pairs', label: 'Pairs JSONL', hint: 'prompt, chosen, rejected, tie, annotator' },
];

export function ImportDialog({ onClose }: { onClose: () => void }) {
  const api = useApi();
  const queryClient = useQueryClient();
  const [format, setFormat] = useState<Format>('folder');
  const [folder, setFolder] = useState('');
  const [prompts, setPrompts] = useState('');
  const [file, setFile] = useState('');
  const [split, setSplit] = useState<'pairs' | 'group'>('pairs');
  const [jobId, setJobId] = useState<string | null>(null);
  const [progress, setProgress] = useState<{ fraction: number; message: string } | null>(null);
  const [report, setReport] = useState<Report | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEvent('job.progress', (job) => {
    if (job.id !== jobId) return;
    setProgress({ fraction: job.progress, message: job.message });
    if (job.status === 'running') return;
    void api.call('library.importReport', { jobId: job.id }).then((outcome) => {
      setReport(outcome.report);
      setError(
        outcome.error ?? (job.status === 'cancelled' ? 'Cancelled; what was read before is kept.' : null),
      );
      void queryClient.invalidateQueries();
    });
  });

  const start = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    setReport(null);
    const request: CallInput<'library.import'> =
      format === 'folder' ? { format, folder, prompts, split } : { format, file };
    try {
      setJobId((await api.call('library.import', request)).jobId);
      setProgress({ fraction: 0, message: 'Starting…' });
    } catch (e) {
      setError((e as Error).message);
    }
  };

  const running = jobId !== null && !report && !error;
  return (
    <Dialog title="Import" onClose={onClose}>
      <form className="form" onSubmit={start}>
        <label className="field">
          <span>Format</span>
          <select value={format} onChange={(e) => setFormat(e.target.value as Format)} aria-label="Format">
            {FORMATS.map((f) => (
              <option key={f.id} value={f.id}>
                {f.label}
              </option>
            ))}
          </select>
          <span className="muted small">{FORMATS.find((f) => f.id === format)!.hint}</span>
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
            <button type="button" onClick={() => void api.call('jobs.cancel', { id: jobId! })}>
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
