// The Generate form's state: what the user edits (numbers as they type them), kept in localStorage so a
// model path and favourite settings survive a reload, and turned into the generate.start input.
import { z } from 'zod';
import { GenerateSettingsSchema, type CallInput } from '../../../../main/contract';
import { readPersistedForm, usePersistedForm } from '../usePersistedForm';

const KEY = 'hps.generate.form';

/** generate.start's fields with their limits; model, vocabulary and prompt may be empty while editing. */
const GenerateFormSchema = GenerateSettingsSchema.pick({
  negative: true,
  steps: true,
  cfg: true,
  seed: true,
  scheduler: true,
  width: true,
  height: true,
  batch: true,
  loras: true,
  ep: true,
}).extend({ model: z.string(), vocab: z.string(), prompt: z.string() });

export type GenerateForm = z.output<typeof GenerateFormSchema>;
export type GenerateFormPatch = (change: Partial<GenerateForm>) => void;

/** The contract's defaults, and two images a batch: a comparison needs at least two. */
const DEFAULT_FORM: GenerateForm = GenerateFormSchema.parse({
  model: '',
  vocab: '',
  prompt: '',
  seed: 1,
  batch: 2,
});

export const useGenerateForm = () => usePersistedForm(KEY, GenerateFormSchema, DEFAULT_FORM);

/** The Generate form as last saved, for views that generate with its settings (the A/B grid). */
export const savedGenerateForm = () => readPersistedForm(KEY, GenerateFormSchema, DEFAULT_FORM);

const SEED_MAX = GenerateSettingsSchema.shape.seed.maxValue ?? Number.MAX_SAFE_INTEGER;
export const randomSeed = () => Math.floor(Math.random() * (SEED_MAX + 1));

export function toInput(form: GenerateForm): CallInput<'generate.start'> {
  return {
    model: form.model.trim(),
    ...(form.vocab.trim() ? { vocab: form.vocab.trim() } : {}),
    prompt: form.prompt,
    negative: form.negative,
    steps: form.steps,
    cfg: form.cfg,
    seed: form.seed,
    scheduler: form.scheduler,
    width: form.width,
    height: form.height,
    batch: form.batch,
    loras: form.loras.filter((l) => l.file.trim()),
    ep: form.ep,
  };
}
