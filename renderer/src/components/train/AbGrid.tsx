// After training: the same prompts and seeds without and with the LoRA (for the HPS recipe the adapted side
// also gets the identifier as negative prompt), with a chip from every loaded scorer, and sent to labeling as one comparison per pair so annotators measure adapted vs base.
import { useRef, useState } from 'react';
import { GenerateSettingsSchema, WEIRD_IMAGE_PREFIX, type CallOutput } from '../../../../main/contract';
import { lastWriteError, useCallMutation, useEvent } from '../../api/hooks';
import { numberLimits } from '../../api/schema-limits';
import { Field } from '../Field';
import { withScores, type Batch } from '../generate/GeneratedChips';
import { GeneratedImage } from '../generate/GeneratedImage';
import { savedGenerateForm, toInput } from '../generate/settings';

type Run = CallOutput<'training.runs'>['runs'][number];

interface Row {
  prompt: string;
  seed: number;
  base?: Batch;
  adapted?: Batch;
}

export function AbGrid({ run }: { run: Run }) {
  const [prompts, setPrompts] = useState('a photo of a cat\na city street at night');
  const [seed, setSeed] = useState(1);
  const [rows, setRows] = useState<Row[]>([]);
  // Batches by id as they finish, and which grid cell each started batch fills: a fast job's generate.done
  // can arrive before its generate.start reply, so both sides look each other up.
  const finished = useRef(new Map<string, Batch>());
  const cells = useRef(new Map<string, { row: number; side: 'base' | 'adapted'; jobId: string }>());
  const startGeneration = useCallMutation('generate.start');
  const sendPairs = useCallMutation('generate.sendPairs', {
    invalidates: ['library.status', 'library.comparisons'],
  });
  const [jobError, setJobError] = useState<string | null>(null);
  const error = lastWriteError(startGeneration, sendPairs) ?? jobError;

  const place = (batchId: string) => {
    const batch = finished.current.get(batchId);
    const cell = cells.current.get(batchId);
    if (batch && cell)
      setRows((old) => old.map((r, i) => (i === cell.row ? { ...r, [cell.side]: batch } : r)));
  };
  useEvent('job.progress', (job) => {
    if (job.status === 'failed' && [...cells.current.values()].some((c) => c.jobId === job.id))
      setJobError(job.error ?? 'generation failed');
  });
  useEvent('generate.done', (batch) => {
    finished.current.set(batch.batchId, batch);
    place(batch.batchId);
  });
  useEvent('generate.scored', (scored) => {
    const batch = finished.current.get(scored.batchId);
    if (!batch) return;
    finished.current.set(scored.batchId, withScores(batch, scored));
    place(scored.batchId);
  });

  const generate = async () => {
    setJobError(null);
    sendPairs.reset();
    const list = prompts
      .split('\n')
      .map((p) => p.trim())
      .filter(Boolean);
    const form = savedGenerateForm();
    const next: Row[] = list.map((prompt) => ({ prompt, seed }));
    setRows(next);
    cells.current.clear();
    try {
      for (const [row, { prompt }] of next.entries()) {
        const common = {
          ...toInput({ ...form, prompt, seed, batch: 1, loras: [] }),
          model: run.model,
          ...(run.vocab ? { vocab: run.vocab } : {}),
          width: run.resolution,
          height: run.resolution,
        };
        const base = await startGeneration.mutateAsync(common);
        cells.current.set(base.batchId, { row, side: 'base', jobId: base.jobId });
        place(base.batchId);
        const adapted = await startGeneration.mutateAsync({
          ...common,
          loras: [{ file: run.output!, scale: 1 }],
          negative: run.recipe === 'hps' ? WEIRD_IMAGE_PREFIX + (common.negative ?? '') : common.negative,
        });
        cells.current.set(adapted.batchId, { row, side: 'adapted', jobId: adapted.jobId });
        place(adapted.batchId);
      }
    } catch {
      // startGeneration.error says why; the rows started before keep generating.
    }
  };

  const complete = rows.length > 0 && rows.every((r) => r.base && r.adapted);
  const send = () =>
    sendPairs.mutate({
      pairs: rows.map((r) => ({
        base: { batchId: r.base!.batchId, path: r.base!.images[0]!.path },
        adapted: { batchId: r.adapted!.batchId, path: r.adapted!.images[0]!.path },
      })),
    });
  const sent = sendPairs.data?.comparisonIds;
  const cell = (batch: Batch | undefined) => {
    const image = batch?.images[0];
    if (!image) return <div className="train-ab-wait">generating…</div>;
    return (
      <GeneratedImage
        batch={batch}
        image={image}
        seed={<span className="gen-seed">seed {image.seed}</span>}
      />
    );
  };

  return (
    <section className="train-ab" aria-label="A/B grid">
      <h2>A/B: without and with {run.name}</h2>
      <div className="field-row">
        <Field label="Prompts (one a line)">
          <textarea aria-label="A/B prompts" value={prompts} onChange={(e) => setPrompts(e.target.value)} />
        </Field>
        <Field label="Seed">
          <input
            type="number"
            aria-label="A/B seed"
            {...numberLimits(GenerateSettingsSchema.shape.seed)}
            value={seed}
            onChange={(e) => setSeed(Number(e.target.value))}
          />
        </Field>
        <button type="button" onClick={() => void generate()}>
          Generate A/B
        </button>
        <button
          type="button"
          disabled={!complete || sent !== undefined || sendPairs.isPending}
          onClick={send}
        >
          Send pairs to labeling
        </button>
      </div>
      {sent && <p role="status">{sent.length} comparisons added to the library.</p>}
      {error && <p className="error">{error}</p>}
      {rows.length > 0 && (
        <table className="train-ab-grid">
          <thead>
            <tr>
              <th>Prompt</th>
              <th>Base</th>
              <th>With LoRA</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.prompt}>
                <td>{r.prompt}</td>
                <td>{cell(r.base)}</td>
                <td>{cell(r.adapted)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
