// Your own preference model: fine-tune a CLIP-family scorer on the library's labels, watch the loss, read the
// held-out accuracy before and after under both tie conventions (95 % bootstrap intervals), load the result for
// live readouts (its chips then show in every view, Generate included), and find the comparisons worth labeling
// next (LabelNextPanel).
import { lazy, Suspense, useState } from 'react';
import type { CallInput, EventPayload } from '../../../../main/contract';
import { useApi, useCall, useEvent } from '../../api/hooks';
import { Field, NumberField } from '../Field';
import { LabelNextPanel } from './LabelNextPanel';

const LossChart = lazy(() => import('./LossChart').then((m) => ({ default: m.LossChart })));

type Settings = CallInput<'training.scorerStart'>;
type Report = EventPayload<'training.scorerDone'>;
type Accuracy = Report['before']['dropTies'];
type Kind = Settings['kind'];

const KEY = 'hps.train.scorer';
const DEFAULTS = { kind: 'hps-v2' as Kind, base: '', vocab: '', blocks: 1, steps: 100, lr: 1e-5 };

const pct = (a: Accuracy) =>
  a.accuracy === null
    ? '—'
    : `${(a.accuracy * 100).toFixed(1)}%${a.interval ? ` [${(a.interval[0] * 100).toFixed(1)}, ${(a.interval[1] * 100).toFixed(1)}]` : ''} (n=${a.n})`;

export function ScorerSection() {
  const api = useApi();
  const [form, setForm] = useState<typeof DEFAULTS>(() => ({
    ...DEFAULTS,
    ...(JSON.parse(localStorage.getItem(KEY) ?? '{}') as Partial<typeof DEFAULTS>),
  }));
  const [job, setJob] = useState<{ jobId: string; output: string } | null>(null);
  const [losses, setLosses] = useState<number[]>([]);
  const [report, setReport] = useState<Report | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [live, setLive] = useState<string | null>(null);
  const trainable = (useCall('scorers.list', {}).data?.scorers ?? []).flatMap((s) =>
    s.kind === 'aesthetic' ? [] : [{ ...s, kind: s.kind as Kind }],
  );
  const patch = (p: Partial<typeof DEFAULTS>) =>
    setForm((old) => {
      const next = { ...old, ...p };
      localStorage.setItem(KEY, JSON.stringify(next));
      return next;
    });

  useEvent('training.scorerStep', (s) => {
    if (s.jobId === job?.jobId) setLosses((old) => Object.assign(old.slice(), { [s.step - 1]: s.loss }));
  });
  useEvent('training.scorerDone', (r) => r.jobId === job?.jobId && setReport(r));
  useEvent(
    'job.progress',
    (j) => j.id === job?.jobId && j.status === 'failed' && setError(j.error ?? 'failed'),
  );

  const start = async () => {
    setError(null);
    setReport(null);
    setLosses([]);
    try {
      setJob(
        await api.call('training.scorerStart', { ...form, base: form.base.trim(), vocab: form.vocab.trim() }),
      );
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const scorerPath = report?.output ?? form.base.trim();
  const labelNextScorer =
    scorerPath && form.vocab.trim()
      ? { kind: (report?.kind as Kind | undefined) ?? form.kind, model: scorerPath, vocab: form.vocab.trim() }
      : null;
  /** Its chips then appear next to every image, and it can choose LoRA training pairs (Train → Pairs from). */
  const loadLive = async () => {
    if (!report) return;
    setError(null);
    try {
      const { scorer } = await api.call('scorers.load', { path: report.output, vocab: form.vocab.trim() });
      setLive(`Loaded as ${scorer.id}: scoring the library.`);
    } catch (e) {
      setError((e as Error).message);
    }
  };

  return (
    <section className="train-form" aria-label="Scorer fine-tuning">
      <h2>Your own preference model</h2>
      <div className="gen-row">
        <Field label="Start from">
          <select
            aria-label="Start from a loaded scorer"
            value=""
            onChange={(e) => {
              const picked = trainable.find((s) => s.id === e.target.value);
              if (picked) patch({ kind: picked.kind, base: picked.model, vocab: picked.vocab ?? '' });
            }}
          >
            <option value="">{trainable.length ? 'a loaded scorer…' : 'no CLIP-family scorer loaded'}</option>
            {trainable.map((s) => (
              <option key={s.id} value={s.id}>
                {s.id} ({s.kind})
              </option>
            ))}
          </select>
        </Field>
        <Field label="Base scorer">
          <select
            aria-label="Base scorer kind"
            value={form.kind}
            onChange={(e) => patch({ kind: e.target.value as Kind })}
          >
            {(['hps-v2', 'hps-v1', 'pickscore', 'clip'] as const).map((k) => (
              <option key={k}>{k}</option>
            ))}
          </select>
        </Field>
        <Field label="Checkpoint">
          <input
            aria-label="Base scorer checkpoint"
            value={form.base}
            onChange={(e) => patch({ base: e.target.value })}
          />
        </Field>
        <Field label="Vocabulary">
          <input
            aria-label="Scorer vocabulary"
            value={form.vocab}
            onChange={(e) => patch({ vocab: e.target.value })}
          />
        </Field>
      </div>
      <div className="gen-row">
        <NumberField label="Blocks k" value={form.blocks} min={1} onChange={(blocks) => patch({ blocks })} />
        <NumberField label="Scorer steps" value={form.steps} min={1} onChange={(steps) => patch({ steps })} />
        <NumberField
          label="Scorer learning rate"
          value={form.lr}
          step={1e-6}
          onChange={(lr) => patch({ lr })}
        />
        <button
          type="button"
          className="primary"
          disabled={!form.base.trim() || !form.vocab.trim()}
          onClick={() => void start()}
        >
          Train scorer
        </button>
      </div>
      {error && <p className="error">{error}</p>}
      {losses.length > 0 && (
        <Suspense fallback={<div className="chart chart-placeholder" />}>
          <LossChart losses={losses} />
        </Suspense>
      )}
      {report && (
        <>
          <table className="train-history" aria-label="Held-out accuracy">
            <thead>
              <tr>
                <th>Scorer ({report.testComparisons} held-out comparisons)</th>
                <th>Drop ties</th>
                <th>Ties as half credit</th>
              </tr>
            </thead>
            <tbody>
              {[
                { id: `${report.kind} before`, ...report.before },
                { id: `${report.kind} fine-tuned`, ...report.after },
                ...report.others.map((o) => ({ id: o.modelId, ...o })),
              ].map((row) => (
                <tr key={row.id}>
                  <td>{row.id}</td>
                  <td>{pct(row.dropTies)}</td>
                  <td>{pct(row.halfCredit)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <p className="small">
            Saved as <code>{report.output}</code> (listed on the Models page).{' '}
            <button type="button" onClick={() => void loadLive()}>
              Load for live readouts
            </button>{' '}
            {live && <span role="status">{live}</span>}
          </p>
        </>
      )}
      <LabelNextPanel scorer={labelNextScorer} />
    </section>
  );
}
