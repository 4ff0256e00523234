import { useState, type FormEvent } from 'react';
import { ExportFormatSchema, type CallInput } from '../../../../main/contract';
import { useCallMutation } from '../../api/hooks';
import '../form.css';
import { Dialog } from './Dialog';

type Format = CallInput<'library.export'>['format'];

const FORMATS: Record<Format, { label: string; ext: string }> = {
  'pairs-jsonl': { label: 'Pairs JSONL (prompt, chosen, rejected, tie, annotator)', ext: 'jsonl' },
  'hpd-v2': { label: 'HPD v2 JSON', ext: 'json' },
  pickapic: { label: 'Pick-a-Pic parquet', ext: 'parquet' },
  'scores-csv': { label: 'Scores CSV', ext: 'csv' },
};

export function ExportDialog({ onClose }: { onClose: () => void }) {
  const [format, setFormat] = useState<Format>('pairs-jsonl');
  const [out, setOut] = useState('');
  const exportLibrary = useCallMutation('library.export');
  const report = exportLibrary.data;

  const run = (event: FormEvent) => {
    event.preventDefault();
    exportLibrary.mutate({ format, out });
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
            {ExportFormatSchema.options.map((id) => (
              <option key={id} value={id}>
                {FORMATS[id].label}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>Output file (on the machine running the studio)</span>
          <input
            type="text"
            value={out}
            placeholder={`/path/to/export.${FORMATS[format].ext}`}
            onChange={(e) => setOut(e.target.value)}
            aria-label="Output file"
          />
        </label>
        <div className="row">
          <button type="submit" className="primary" disabled={exportLibrary.isPending || out.trim() === ''}>
            Export
          </button>
          <button type="button" onClick={onClose}>
            Close
          </button>
        </div>
      </form>
      {exportLibrary.error && <p className="error">{exportLibrary.error.message}</p>}
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
