/**
 * A seeded kohya-format LoRA for sd-tiny on every module kohya's sd-scripts patches (UNet attention, proj_in /
 * proj_out as 1×1 convolutions, ff.net.0.proj, ff.net.2; text-encoder q/k/v/out_proj, fc1, fc2), and the
 * reference it is checked against: a copy of sd-tiny with W + strength · alpha / rank · up @ down merged into
 * its weights (computed here in float64), loaded as a plain model.
 */
import { copyFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { loadStateDict, toFloat32, writeSafetensors, type TensorSource } from '../../main/checkpoints';
import { kohyaLoraKey, type LoraComponent } from '../../main/models/sd/keys';
import { TorchGenerator, randnTensor } from '../../main/services/diffusion/rng';
import { tinyFolder } from './helpers';

export const RANK = 4;
export const ALPHA = 3;

const TARGETS: Readonly<Record<LoraComponent, RegExp>> = {
  unet: /\.(to_q|to_k|to_v|to_out\.0|proj_in|proj_out|ff\.net\.0\.proj|ff\.net\.2)\.weight$/,
  text_encoder: /\.(self_attn\.(q_proj|k_proj|v_proj|out_proj)|mlp\.fc1|mlp\.fc2)\.weight$/,
};

const FILES: Readonly<Record<LoraComponent, string>> = {
  unet: 'unet/diffusion_pytorch_model.safetensors',
  text_encoder: 'text_encoder/model.safetensors',
};

export interface SyntheticModule {
  component: LoraComponent;
  module: string;
  /** The base weight's shape: [out, in] or [out, in, 1, 1]. */
  shape: number[];
  down: Float32Array;
  up: Float32Array;
}

/** Random down/up pairs (N(0, 0.2²), one seeded torch generator) for every target module of sd-tiny. */
export async function syntheticModules(seed: number): Promise<SyntheticModule[]> {
  const generator = new TorchGenerator(seed);
  const modules: SyntheticModule[] = [];
  for (const component of ['unet', 'text_encoder'] as const) {
    const state = await loadStateDict(path.join(tinyFolder, FILES[component]));
    try {
      for (const [name, t] of [...state.tensors].sort(([a], [b]) => a.localeCompare(b))) {
        if (!TARGETS[component].test(name)) continue;
        const [out, inFeatures] = t.shape as [number, number];
        const draw = (n: number) => randnTensor(n, generator).map((v) => v * 0.2);
        modules.push({
          component,
          module: name.slice(0, -'.weight'.length),
          shape: [...t.shape],
          down: draw(RANK * inFeatures),
          up: draw(out * RANK),
        });
      }
    } finally {
      await state.close();
    }
  }
  return modules;
}

/** Writes the modules as a kohya file: conv layers keep kohya's [rank, in, 1, 1] / [out, rank, 1, 1] shapes. */
export async function writeKohyaLora(
  file: string,
  modules: readonly SyntheticModule[],
  extra: ReadonlyMap<string, TensorSource> = new Map(),
): Promise<void> {
  const tensors = new Map<string, TensorSource>(extra);
  for (const m of modules) {
    const [out, inFeatures, ...kernel] = m.shape;
    const key = (role: 'down' | 'up' | 'alpha') => kohyaLoraKey(m.component, m.module, role);
    tensors.set(key('down'), { dtype: 'F32', shape: [RANK, inFeatures!, ...kernel], data: m.down });
    tensors.set(key('up'), { dtype: 'F32', shape: [out!, RANK, ...kernel], data: m.up });
    tensors.set(key('alpha'), { dtype: 'F32', shape: [], data: new Float32Array([ALPHA]) });
  }
  await writeSafetensors(file, tensors);
}

/** W + strength · alpha / rank · up @ down, in float64, rounded once to float32. */
function merged(base: Float32Array, m: SyntheticModule, strength: number): Float32Array {
  const [out, inFeatures] = m.shape as [number, number];
  const factor = (strength * ALPHA) / RANK;
  const result = new Float32Array(base.length);
  for (let o = 0; o < out; o++)
    for (let i = 0; i < inFeatures; i++) {
      let delta = 0;
      for (let j = 0; j < RANK; j++) delta += m.up[o * RANK + j]! * m.down[j * inFeatures + i]!;
      result[o * inFeatures + i] = base[o * inFeatures + i]! + factor * delta;
    }
  return result;
}

/** A copy of sd-tiny (diffusers folder) with the modules merged into the UNet and text-encoder weights. */
export async function writeMergedModel(
  dir: string,
  modules: readonly SyntheticModule[],
  strength: number,
): Promise<void> {
  for (const component of ['unet', 'vae', 'text_encoder'] as const)
    await mkdir(path.join(dir, component), { recursive: true });
  for (const file of [
    'scheduler_config.json',
    'unet/config.json',
    'text_encoder/config.json',
    'vae/config.json',
    'vae/diffusion_pytorch_model.safetensors',
  ])
    await copyFile(path.join(tinyFolder, file), path.join(dir, file));
  for (const component of ['unet', 'text_encoder'] as const) {
    const byWeight = new Map(
      modules.filter((m) => m.component === component).map((m) => [`${m.module}.weight`, m]),
    );
    const state = await loadStateDict(path.join(tinyFolder, FILES[component]));
    try {
      const tensors = new Map<string, TensorSource>();
      for (const [name, t] of state.tensors) {
        const values = toFloat32(t.dtype, await t.read());
        const m = byWeight.get(name);
        tensors.set(name, { dtype: 'F32', shape: t.shape, data: m ? merged(values, m, strength) : values });
      }
      await writeSafetensors(path.join(dir, FILES[component]), tensors);
    } finally {
      await state.close();
    }
  }
}
