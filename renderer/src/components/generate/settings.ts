// The Generate form's state: what the user edits (numbers as they type them), kept in localStorage so a
// model path and favourite settings survive a reload, and turned into the generate.start input.
import type { CallInput } from '../../../../main/contract';
import { type GENERATE_SCHEDULERS } from '../../../../main/contract';

export type Scheduler = (typeof GENERATE_SCHEDULERS)[number];

export interface LoraRow {
  file: string;
  scale: number;
}

export interface GenerateForm {
  model: string;
  vocab: string;
  prompt: string;
  negative: string;
  steps: number;
  cfg: number;
  seed: number;
  scheduler: Scheduler;
  width: number;
  height: number;
  batch: number;
  loras: LoraRow[];
  ep: 'cpu' | 'webgpu' | 'cuda' | 'dml' | 'coreml';
}

const KEY = 'hps.generate.form';

export const randomSeed = () => Math.floor(Math.random() * 2 ** 32);

export const DEFAULT_FORM: GenerateForm = {
  model: '',
  vocab: '',
  prompt: '',
  negative: '',
  steps: 25,
  cfg: 7.5,
  seed: 1,
  scheduler: 'pndm',
  width: 512,
  height: 512,
  batch: 2,
  loras: [],
  ep: 'cpu',
};

export function loadForm(): GenerateForm {
  try {
    const saved = JSON.parse(localStorage.getItem(KEY) ?? '{}') as Partial<GenerateForm>;
    return { ...DEFAULT_FORM, ...saved };
  } catch {
    return DEFAULT_FORM;
  }
}

export function saveForm(form: GenerateForm): void {
  localStorage.setItem(KEY, JSON.stringify(form));
}

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
