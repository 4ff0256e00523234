// One-click LoRA training: recipe, model and the main defaults in view; everything else folded away.
import { useState } from 'react';
import type { CallInput } from '../../../../main/contract';
import { useCall } from '../../api/hooks';
import { Field, NumberField } from '../Field';

export type TrainSettings = CallInput<'training.start'>;

const KEY = 'hps.train.form';

export const DEFAULT_TRAIN: Required<
  Pick<
    TrainSettings,
    | 'recipe'
    | 'steps'
    | 'rank'
    | 'lr'
    | 'resolution'
    | 'seed'
    | 'batch'
    | 'checkpointEvery'
    | 'gradientCheckpointing'
    | 'format'
  >
> & {
  model: string;
  vocab: string;
  pairsBy: string;
  minMargin: number;
  /** HPS recipe: images with .txt captions mixed in ('' for none). */
  regularizationFolder: string;
  regularizationRatio: number;
} = {
  recipe: 'hps',
  model: '',
  vocab: '',
  /** A scorer id whose stored scores choose the pairs; '' = human labels. */
  pairsBy: '',
  minMargin: 0,
  steps: 500,
  rank: 4,
  lr: 1e-4,
  resolution: 512,
  seed: 0,
  batch: 1,
  checkpointEvery: 50,
  gradientCheckpointing: true,
  format: 'kohya',
  regularizationFolder: '',
  regularizationRatio: 0.25,
};

type Form = typeof DEFAULT_TRAIN;

function load(): Form {
  try {
    return { ...DEFAULT_TRAIN, ...(JSON.parse(localStorage.getItem(KEY) ?? '{}') as Partial<Form>) };
  } catch {
    return DEFAULT_TRAIN;
  }
}

export function TrainForm({
  labeled,
  scorers,
  busy,
  onStart,
}: {
  labeled: number;
  /** Scorer ids of library.status: each can choose the pairs instead of the human labels. */
  scorers: string[];
  busy: boolean;
  onStart(settings: TrainSettings): void;
}) {
  const [form, setForm] = useState<Form>(load);
  const models = useCall('generate.models', {});
  const patch = (p: Partial<Form>) =>
    setForm((old) => {
      const next = { ...old, ...p };
      localStorage.setItem(KEY, JSON.stringify(next));
      return next;
    });
  // A remembered scorer that the library no longer lists falls back to the human labels.
  const scorer = scorers.includes(form.pairsBy) ? form.pairsBy : '';
  const start = () => {
    const {
      vocab,
      model,
      pairsBy: _pairsBy,
      minMargin,
      regularizationFolder,
      regularizationRatio,
      ...rest
    } = form;
    const folder = regularizationFolder.trim();
    onStart({
      ...rest,
      model: model.trim(),
      ...(folder && rest.recipe === 'hps' ? { regularization: { folder, ratio: regularizationRatio } } : {}),
      ...(vocab.trim() ? { vocab: vocab.trim() } : {}),
      ...(scorer ? { pairsBy: scorer, ...(minMargin > 0 ? { minMargin } : {}) } : {}),
    });
  };
  return (
    <section className="train-form" aria-label="LoRA training">
      <div className="train-recipes" role="radiogroup" aria-label="Recipe">
        {(
          [
            [
              'hps',
              'HPS recipe',
              'chosen images under their prompt, rejected under “Weird image. ” + prompt',
            ],
            ['dpo', 'Diffusion-DPO', 'each pair shares noise; β = 5000 against the frozen model'],
          ] as const
        ).map(([id, name, note]) => (
          <label key={id} className={`train-recipe${form.recipe === id ? ' selected' : ''}`}>
            <input
              type="radio"
              name="recipe"
              checked={form.recipe === id}
              onChange={() => patch({ recipe: id })}
            />
            <strong>{name}</strong>
            <span className="small muted">{note}</span>
          </label>
        ))}
      </div>
      <div className="gen-row">
        <Field label="Model">
          <select
            aria-label="Installed model"
            value={(models.data?.models ?? []).some((m) => m.path === form.model) ? form.model : ''}
            onChange={(e) => e.target.value && patch({ model: e.target.value })}
          >
            <option value="">Choose an installed model…</option>
            {(models.data?.models ?? []).map((m) => (
              <option key={m.id} value={m.path}>
                {m.name}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Model path">
          <input
            aria-label="Model path"
            value={form.model}
            onChange={(e) => patch({ model: e.target.value })}
          />
        </Field>
        <Field label="Vocabulary (models without tokenizer/)">
          <input
            aria-label="Vocabulary"
            value={form.vocab}
            onChange={(e) => patch({ vocab: e.target.value })}
          />
        </Field>
      </div>
      <div className="gen-row">
        <Field label="Pairs from">
          <select aria-label="Pairs from" value={scorer} onChange={(e) => patch({ pairsBy: e.target.value })}>
            <option value="">human labels</option>
            {scorers.map((id) => (
              <option key={id} value={id}>
                {id}
              </option>
            ))}
          </select>
        </Field>
        {scorer && (
          <NumberField
            label="Min score gap"
            value={form.minMargin}
            min={0}
            step={0.001}
            onChange={(minMargin) => patch({ minMargin })}
          />
        )}
      </div>
      <div className="gen-row">
        <NumberField label="Rank" value={form.rank} onChange={(rank) => patch({ rank })} />
        <NumberField label="Learning rate" value={form.lr} step={1e-5} onChange={(lr) => patch({ lr })} />
        <NumberField label="Steps" value={form.steps} onChange={(steps) => patch({ steps })} />
        <NumberField
          label="Resolution"
          value={form.resolution}
          step={8}
          onChange={(resolution) => patch({ resolution })}
        />
        <NumberField label="Seed" value={form.seed} onChange={(seed) => patch({ seed })} />
      </div>
      <details className="gen-fold">
        <summary>Advanced settings</summary>
        <div className="gen-row">
          <NumberField
            label="Batch (accumulated)"
            value={form.batch}
            onChange={(batch) => patch({ batch })}
          />
          <NumberField
            label="Checkpoint every N steps"
            value={form.checkpointEvery}
            onChange={(checkpointEvery) => patch({ checkpointEvery })}
          />
          <label
            className="check small"
            title="Recompute activations in the backward pass: about a third less memory at 512 px, a little slower"
          >
            <input
              type="checkbox"
              checked={form.gradientCheckpointing}
              onChange={(e) => patch({ gradientCheckpointing: e.target.checked })}
            />{' '}
            Gradient checkpointing
          </label>
          <Field label="Output format">
            <select
              aria-label="Output format"
              value={form.format}
              onChange={(e) => patch({ format: e.target.value as Form['format'] })}
            >
              <option value="kohya">kohya (A1111, ComfyUI)</option>
              <option value="peft">PEFT / diffusers</option>
            </select>
          </Field>
        </div>
        {form.recipe === 'hps' && (
          <div className="gen-row">
            <Field label="Regularisation folder (images + .txt captions)">
              <input
                aria-label="Regularisation folder"
                value={form.regularizationFolder}
                onChange={(e) => patch({ regularizationFolder: e.target.value })}
              />
            </Field>
            <NumberField
              label="Regularisation share"
              value={form.regularizationRatio}
              min={0}
              max={0.95}
              step={0.05}
              onChange={(regularizationRatio) => patch({ regularizationRatio })}
            />
          </div>
        )}
      </details>
      <div className="gen-actions">
        <button
          type="button"
          className="primary"
          disabled={busy || (!scorer && labeled === 0) || !form.model.trim()}
          onClick={start}
        >
          Train LoRA
        </button>
        <span className="small muted">
          {scorer
            ? `Pairs chosen by ${scorer}'s stored scores${form.model.trim() ? '' : ' · choose a model'}`
            : labeled === 0
              ? 'Label some pairs on the Compare page first.'
              : `${labeled} judgments in the library${form.model.trim() ? '' : ' · choose a model'}`}
        </span>
      </div>
    </section>
  );
}
