import { useState, type FormEvent } from 'react';
import type { CallInput, CallOutput } from '../../../../main/contract';
import { useApi } from '../../api/hooks';
import { Dialog } from './Dialog';

type Format = CallInput<'library.export'>['format'];

const FORMATS: { id: Format; label: string; ext: string }[] = [
  { id: 'pairs-jsonl', label: 'Pairs JSONL (prompt, chosen, rejected, tie, annotator)', ext: 'jsonl' },
  { id: 'hpd-v2', label: 'HPD v2 JSON', ext: 'json' },
  { id: 'pickapic', label: 'Pick-a-Pic parquet', ext: 'parquet' },
  { id: 'scores-csv', label: 'Scores CSV', ext: 'csv' },
];

export function ExportDialog({ onClose }: { onClose: () => void }) {
  const api = useApi();
  const [format, setFormat] = useState<Format>('pairs-jsonl');
  const [out, setOut] = useState('');
  const [report, setReport] = useState<CallOutput<'library.export'> | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const run = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      setReport(await api.call('library.export', { format, out }));
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog title="Export" onClose={onClose}>
      <form className="form" onSubmit={run}>
        <label className="field">
          <span>Format</span>
          <select
            value={format}
            onChange={(e) => setFormat(e.target.value as Format)}
            aria-label="Export format"
          >
            {FORMATS.map((f) => (
              <option key={f.id} value={f.id}>
                {f.label}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>Output file (on the machine running the studio)</span>
          <input
            type="text"
            value={out}
            placeholder={`/path/to/export.${FORMATS.find((f) => f.id === format)!.ext}`}
            onChange={(e) => setOut(e.target.value)}
            aria-label="Output file"
          />
        </label>
        <div className="row">
          <button type="submit" className="primary" disabled={busy || out.trim() === ''}>
            Export
          </button>
          <button type="button" onClick={onClose}>
            Close
          </button>
        </div>
      </form>
      {error && <p className="error">{error}</p>}
      {report && (
        <p aria-label="Export report">
          Wrote <b>{report.records}</b> records to <code>{report.file}</code> ({report.imagesCopied} images
          copied)
          {report.skipped.map((s) => ` · ${s.count} skipped: ${s.reason}`).join('')}
        </p>
      )}
    </Dialog>
  );
}
