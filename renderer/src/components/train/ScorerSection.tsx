// Your own preference model: fine-tune a CLIP-family scorer on the library's labels, watch the loss, read the
// held-out accuracy before and after under both tie conventions (95 % bootstrap intervals), load the result for
// live readouts (its chips then show in every view, Generate included), and find the comparisons worth labeling
// next (LabelNextPanel).
import { lazy, Suspense, useState } from 'react';
import { z } from 'zod';
import {
  ScorerTrainingSettingsSchema,
  TRAINABLE_KINDS,
  TrainableKindSchema,
  type EventPayload,
} from '../../../../main/contract';
import { lastWriteError, useCall, useCallMutation, useEvent } from '../../api/hooks';
import { numberLimits } from '../../api/schema-limits';
import { Field, NumberField } from '../Field';
import { usePersistedForm } from '../usePersistedForm';
import { LabelNextPanel } from './LabelNextPanel';

const LossChart = lazy(() => import('./LossChart').then((m) => ({ default: m.LossChart })));

type Report = EventPayload<'training.scorerDone'>;
type Accuracy = Report['before']['dropTies'];

const field = ScorerTrainingSettingsSchema.shape;

/** training.scorerStart's fields with their limits and defaults; checkpoint and vocabulary may be empty. */
const ScorerFormSchema = ScorerTrainingSettingsSchema.pick({
  kind: true,
  blocks: true,
  steps: true,
  lr: true,
}).extend({
  base: z.string(),
  vocab: z.string(),
});
type Kind = z.output<typeof ScorerFormSchema>['kind'];
const isTrainable = (kind: string): kind is Kind => TrainableKindSchema.safeParse(kind).success;

const DEFAULTS = ScorerFormSchema.parse({ kind: 'hps-v2', base: '', vocab: '' });

const pct = (a: Accuracy) =>
  a.accuracy === null
    ? '—'
    : `${(a.accuracy * 100).toFixed(1)}%${a.interval ? ` [${(a.interval[0] * 100).toFixed(1)}, ${(a.interval[1] * 100).toFixed(1)}]` : ''} (n=${a.n})`;

export function ScorerSection() {
  const [form, patch] = usePersistedForm('hps.train.scorer', ScorerFormSchema, DEFAULTS);
  const [losses, setLosses] = useState<number[]>([]);
  const [report, setReport] = useState<Report | null>(null);
  const [jobError, setJobError] = useState<string | null>(null);
  const train = useCallMutation('training.scorerStart');
  /** Its chips then appear next to every image, and it can choose LoRA training pairs (Train → Pairs from). */
  const loadLive = useCallMutation('scorers.load', { invalidates: ['scorers.list', 'library.status'] });
  const job = train.data;
  const trainable = (useCall('scorers.list', {}).data?.scorers ?? []).flatMap((s) =>
    isTrainable(s.kind) ? [{ ...s, kind: s.kind }] : [],
  );

  useEvent('training.scorerStep', (s) => {
    if (s.jobId === job?.jobId) setLosses((old) => Object.assign(old.slice(), { [s.step - 1]: s.loss }));
  });
  useEvent('training.scorerDone', (r) => r.jobId === job?.jobId && setReport(r));
  useEvent(
    'job.progress',
    (j) => j.id === job?.jobId && j.status === 'failed' && setJobError(j.error ?? 'failed'),
  );

  const start = () => {
    setJobError(null);
    setReport(null);
    setLosses([]);
    train.mutate({ ...form, base: form.base.trim(), vocab: form.vocab.trim() });
  };
  const error = lastWriteError(train, loadLive) ?? jobError;
  const scorerPath = report?.output ?? form.base.trim();
  const labelNextScorer =
    scorerPath && form.vocab.trim()
      ? { kind: (report?.kind as Kind | undefined) ?? form.kind, model: scorerPath, vocab: form.vocab.trim() }
      : null;
  const live = loadLive.data && `Loaded as ${loadLive.data.scorer.id}: scoring the library.`;

  return (
    <section className="train-form" aria-label="Scorer fine-tuning">
      <h2>Your own preference model</h2>
      <div className="field-row">
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
            {TRAINABLE_KINDS.map((k) => (
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
      <div className="field-row">
        <NumberField
          label="Blocks k"
          value={form.blocks}
          {...numberLimits(field.blocks)}
          onChange={(blocks) => patch({ blocks })}
        />
        <NumberField
          label="Scorer steps"
          value={form.steps}
          {...numberLimits(field.steps)}
          onChange={(steps) => patch({ steps })}
        />
        <NumberField
          label="Scorer learning rate"
          value={form.lr}
          {...numberLimits(field.lr)}
          step={1e-6}
          onChange={(lr) => patch({ lr })}
        />
        <button
          type="button"
          className="primary"
          disabled={train.isPending || !form.base.trim() || !form.vocab.trim()}
          onClick={start}
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
            <button
              type="button"
              disabled={loadLive.isPending}
              onClick={() => loadLive.mutate({ path: report.output, vocab: form.vocab.trim() })}
            >
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
