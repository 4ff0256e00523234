// One-click LoRA training: recipe, model and the main defaults in view; everything else folded away.
import { z } from 'zod';
import { LoraTrainingSettingsSchema, type CallInput } from '../../../../main/contract';
import { useCall } from '../../api/hooks';
import { numberLimits } from '../../api/schema-limits';
import { Field, NumberField } from '../Field';
import { usePersistedForm } from '../usePersistedForm';

type TrainSettings = CallInput<'training.start'>;

const field = LoraTrainingSettingsSchema.shape;
const REGULARIZATION_RATIO = field.regularization.unwrap().shape.ratio;

/** training.start's fields with their limits and defaults, as the form edits them. */
const TrainFormSchema = LoraTrainingSettingsSchema.pick({
  recipe: true,
  steps: true,
  rank: true,
  lr: true,
  resolution: true,
  seed: true,
  batch: true,
  checkpointEvery: true,
  gradientCheckpointing: true,
  format: true,
}).extend({
  model: z.string(),
  vocab: z.string(),
  /** A scorer id whose stored scores choose the pairs; '' = human labels. */
  pairsBy: z.string(),
  minMargin: field.minMargin.unwrap(),
  /** HPS recipe: images with .txt captions mixed in ('' for none). */
  regularizationFolder: z.string(),
  regularizationRatio: REGULARIZATION_RATIO,
});

type Form = z.output<typeof TrainFormSchema>;

const DEFAULT_TRAIN: Form = TrainFormSchema.parse({
  model: '',
  vocab: '',
  pairsBy: '',
  minMargin: 0,
  regularizationFolder: '',
});

const RECIPES: Record<Form['recipe'], { name: string; note: string }> = {
  hps: {
    name: 'HPS recipe',
    note: 'chosen images under their prompt, rejected under “Weird image. ” + prompt',
  },
  dpo: {
    name: 'Diffusion-DPO',
    note: `each pair shares noise; β = ${field.beta.def.defaultValue} against the frozen model`,
  },
};

const OUTPUT_FORMATS: Record<Form['format'], string> = {
  kohya: 'kohya (A1111, ComfyUI)',
  peft: 'PEFT / diffusers',
};

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
  const [form, patch] = usePersistedForm('hps.train.form', TrainFormSchema, DEFAULT_TRAIN);
  const models = useCall('generate.models', {});
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
        {field.recipe.unwrap().options.map((id) => (
          <label key={id} className={`train-recipe${form.recipe === id ? ' selected' : ''}`}>
            <input
              type="radio"
              name="recipe"
              checked={form.recipe === id}
              onChange={() => patch({ recipe: id })}
            />
            <strong>{RECIPES[id].name}</strong>
            <span className="small muted">{RECIPES[id].note}</span>
          </label>
        ))}
      </div>
      <div className="field-row">
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
      <div className="field-row">
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
            {...numberLimits(field.minMargin)}
            step={0.001}
            onChange={(minMargin) => patch({ minMargin })}
          />
        )}
      </div>
      <div className="field-row">
        <NumberField
          label="Rank"
          value={form.rank}
          {...numberLimits(field.rank)}
          onChange={(rank) => patch({ rank })}
        />
        <NumberField
          label="Learning rate"
          value={form.lr}
          {...numberLimits(field.lr)}
          step={1e-5}
          onChange={(lr) => patch({ lr })}
        />
        <NumberField
          label="Steps"
          value={form.steps}
          {...numberLimits(field.steps)}
          onChange={(steps) => patch({ steps })}
        />
        <NumberField
          label="Resolution"
          value={form.resolution}
          {...numberLimits(field.resolution)}
          step={8}
          onChange={(resolution) => patch({ resolution })}
        />
        <NumberField
          label="Seed"
          value={form.seed}
          {...numberLimits(field.seed)}
          onChange={(seed) => patch({ seed })}
        />
      </div>
      <details className="fold">
        <summary>Advanced settings</summary>
        <div className="field-row">
          <NumberField
            label="Batch (accumulated)"
            value={form.batch}
            {...numberLimits(field.batch)}
            onChange={(batch) => patch({ batch })}
          />
          <NumberField
            label="Checkpoint every N steps"
            value={form.checkpointEvery}
            {...numberLimits(field.checkpointEvery)}
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
              {field.format.unwrap().options.map((id) => (
                <option key={id} value={id}>
                  {OUTPUT_FORMATS[id]}
                </option>
              ))}
            </select>
          </Field>
        </div>
        {form.recipe === 'hps' && (
          <div className="field-row">
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
              {...numberLimits(REGULARIZATION_RATIO)}
              step={0.05}
              onChange={(regularizationRatio) => patch({ regularizationRatio })}
            />
          </div>
        )}
      </details>
      <div className="form-actions">
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
