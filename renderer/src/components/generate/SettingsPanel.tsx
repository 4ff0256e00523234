// Generation settings: model (installed or a path), steps, CFG, seed with a dice, all eight schedulers, size,
// batch, LoRAs with scales, and EP. The score chips come from the scorers loaded in Models.
import { EXECUTION_PROVIDERS, GenerateSettingsSchema, SCHEDULER_NAMES } from '../../../../main/contract';
import { useCall } from '../../api/hooks';
import { numberLimits } from '../../api/schema-limits';
import { Field, NumberField } from '../Field';
import { randomSeed, type GenerateForm, type GenerateFormPatch as Patch } from './settings';

const field = GenerateSettingsSchema.shape;
const LORA_SCALE = numberLimits(field.loras.unwrap().element.shape.scale);

function ModelPicker({ form, patch }: { form: GenerateForm; patch: Patch }) {
  const models = useCall('generate.models', {});
  const installed = models.data?.models ?? [];
  return (
    <>
      <Field label="Model">
        <select
          aria-label="Installed model"
          value={installed.some((m) => m.path === form.model) ? form.model : ''}
          onChange={(e) => e.target.value && patch({ model: e.target.value })}
        >
          <option value="">
            {installed.length ? 'Choose an installed model…' : 'No model installed (use a path)'}
          </option>
          {installed.map((m) => (
            <option key={m.id} value={m.path}>
              {m.name}
            </option>
          ))}
        </select>
      </Field>
      <Field label="Model path">
        <input
          aria-label="Model path"
          placeholder="diffusers folder or .safetensors"
          value={form.model}
          onChange={(e) => patch({ model: e.target.value })}
        />
      </Field>
      <Field label="Vocabulary (models without tokenizer/)">
        <input
          aria-label="Vocabulary"
          placeholder="bpe_simple_vocab_16e6.txt.gz"
          value={form.vocab}
          onChange={(e) => patch({ vocab: e.target.value })}
        />
      </Field>
    </>
  );
}

function LoraRows({ form, patch }: { form: GenerateForm; patch: Patch }) {
  const models = useCall('generate.models', {});
  const set = (i: number, row: Partial<GenerateForm['loras'][number]>) =>
    patch({ loras: form.loras.map((l, j) => (j === i ? { ...l, ...row } : l)) });
  return (
    <fieldset className="gen-loras">
      <legend>LoRAs</legend>
      {form.loras.map((lora, i) => (
        <div className="gen-lora" key={i}>
          <input
            aria-label={`LoRA ${i + 1} file`}
            list="gen-lora-files"
            placeholder="LoRA .safetensors"
            value={lora.file}
            onChange={(e) => set(i, { file: e.target.value })}
          />
          <input
            type="number"
            aria-label={`LoRA ${i + 1} scale`}
            step={0.05}
            {...LORA_SCALE}
            value={lora.scale}
            onChange={(e) => set(i, { scale: Number(e.target.value) })}
          />
          <button
            type="button"
            aria-label={`Remove LoRA ${i + 1}`}
            onClick={() => patch({ loras: form.loras.filter((_, j) => j !== i) })}
          >
            ×
          </button>
        </div>
      ))}
      <datalist id="gen-lora-files">
        {(models.data?.loras ?? []).map((l) => (
          <option key={l.id} value={l.path}>
            {l.name}
          </option>
        ))}
      </datalist>
      <button type="button" onClick={() => patch({ loras: [...form.loras, { file: '', scale: 0.8 }] })}>
        + Add LoRA
      </button>
    </fieldset>
  );
}

export function SettingsPanel({ form, patch }: { form: GenerateForm; patch: Patch }) {
  return (
    <div className="gen-settings" aria-label="Generation settings">
      <ModelPicker form={form} patch={patch} />
      <div className="field-row">
        <NumberField
          label="Steps"
          value={form.steps}
          {...numberLimits(field.steps)}
          onChange={(steps) => patch({ steps })}
        />
        <NumberField
          label="CFG"
          value={form.cfg}
          {...numberLimits(field.cfg)}
          step={0.5}
          onChange={(cfg) => patch({ cfg })}
        />
      </div>
      <div className="field-row">
        <NumberField
          label="Seed"
          value={form.seed}
          {...numberLimits(field.seed)}
          onChange={(seed) => patch({ seed })}
        />
        <button
          type="button"
          className="gen-dice"
          title="Random seed"
          aria-label="Random seed"
          onClick={() => patch({ seed: randomSeed() })}
        >
          Random
        </button>
      </div>
      <Field label="Scheduler">
        <select
          aria-label="Scheduler"
          value={form.scheduler}
          onChange={(e) => patch({ scheduler: e.target.value as GenerateForm['scheduler'] })}
        >
          {SCHEDULER_NAMES.map((s) => (
            <option key={s}>{s}</option>
          ))}
        </select>
      </Field>
      <div className="field-row">
        <NumberField
          label="Width"
          value={form.width}
          {...numberLimits(field.width)}
          step={8}
          onChange={(width) => patch({ width })}
        />
        <NumberField
          label="Height"
          value={form.height}
          {...numberLimits(field.height)}
          step={8}
          onChange={(height) => patch({ height })}
        />
      </div>
      <div className="field-row">
        <NumberField
          label="Batch"
          value={form.batch}
          {...numberLimits(field.batch)}
          onChange={(batch) => patch({ batch })}
        />
        <Field label="EP">
          <select
            aria-label="Execution provider"
            value={form.ep}
            onChange={(e) => patch({ ep: e.target.value as GenerateForm['ep'] })}
          >
            {EXECUTION_PROVIDERS.map((ep) => (
              <option key={ep}>{ep}</option>
            ))}
          </select>
        </Field>
      </div>
      <LoraRows form={form} patch={patch} />
    </div>
  );
}
