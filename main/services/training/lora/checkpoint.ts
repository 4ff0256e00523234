// Training checkpoints: LoRA parameters, AdamW moments and the step (which is also the RNG/data cursor, see
// sampler.ts), plus the loss history. Each checkpoint is a folder written completely before `latest.json`
// (replaced by rename) points at it, so a crash leaves the previous checkpoint intact.
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { loadStateDict, toFloat32, writeSafetensors, type TensorSource } from '../../../checkpoints';
import type { OptimizerState, TensorSet } from '../../../engine/optim';

export interface CheckpointState {
  step: number;
  fingerprint: string;
  losses: number[];
  /** fp16 loss scale in effect (1 in fp32). */
  lossScale: number;
  params: TensorSet;
  optimizer: OptimizerState;
}

interface Pointer {
  step: number;
  folder: string;
}

async function writeJsonAtomically(file: string, value: unknown): Promise<void> {
  const partial = `${file}.${process.pid}.partial`;
  await writeFile(partial, JSON.stringify(value, null, 1));
  await rename(partial, file);
}

export async function saveCheckpoint(dir: string, state: CheckpointState): Promise<void> {
  const folderName = `step-${String(state.step).padStart(8, '0')}`;
  const folder = path.join(dir, folderName);
  await rm(folder, { recursive: true, force: true });
  await mkdir(folder, { recursive: true });
  const tensors = (set: TensorSet) =>
    new Map<string, TensorSource>(
      Object.entries(set).map(([n, d]) => [n, { dtype: 'F32', shape: [d.length], data: d }]),
    );
  await writeSafetensors(path.join(folder, 'lora.safetensors'), tensors(state.params));
  const moments: TensorSet = {};
  for (const [param, slots] of Object.entries(state.optimizer.slots))
    for (const [slot, values] of Object.entries(slots)) moments[`${slot}/${param}`] = values;
  await writeSafetensors(path.join(folder, 'optimizer.safetensors'), tensors(moments));
  const { kind, hyper, steps } = state.optimizer;
  await writeJsonAtomically(path.join(folder, 'state.json'), {
    step: state.step,
    fingerprint: state.fingerprint,
    losses: state.losses,
    lossScale: state.lossScale,
    optimizer: { kind, hyper, steps },
  });
  await writeJsonAtomically(path.join(dir, 'latest.json'), {
    step: state.step,
    folder: folderName,
  } satisfies Pointer);
  // Older checkpoints are superseded once the pointer moved.
  for (const name of await readdir(dir))
    if (name.startsWith('step-') && name !== folderName)
      await rm(path.join(dir, name), { recursive: true, force: true });
}

async function readTensors(file: string): Promise<TensorSet> {
  const state = await loadStateDict(file);
  try {
    const out: TensorSet = {};
    for (const [name, t] of state.tensors) out[name] = toFloat32(t.dtype, await t.read());
    return out;
  } finally {
    await state.close();
  }
}

/** The latest checkpoint in `dir`, or undefined when there is none. */
export async function loadCheckpoint(dir: string): Promise<CheckpointState | undefined> {
  const pointerText = await readFile(path.join(dir, 'latest.json'), 'utf8').catch(() => undefined);
  if (pointerText === undefined) return undefined;
  const pointer = JSON.parse(pointerText) as Pointer;
  const folder = path.join(dir, pointer.folder);
  const meta = JSON.parse(await readFile(path.join(folder, 'state.json'), 'utf8')) as {
    step: number;
    fingerprint: string;
    losses: number[];
    lossScale?: number;
    optimizer: Pick<OptimizerState, 'kind' | 'hyper' | 'steps'>;
  };
  const params = await readTensors(path.join(folder, 'lora.safetensors'));
  const slots: OptimizerState['slots'] = {};
  for (const [key, values] of Object.entries(await readTensors(path.join(folder, 'optimizer.safetensors')))) {
    const cut = key.indexOf('/');
    const slot = key.slice(0, cut);
    const param = key.slice(cut + 1);
    (slots[param] ??= {})[slot] = values;
  }
  return {
    step: meta.step,
    fingerprint: meta.fingerprint,
    losses: meta.losses,
    lossScale: meta.lossScale ?? 1,
    params,
    optimizer: { ...meta.optimizer, slots },
  };
}
