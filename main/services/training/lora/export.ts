// Trained LoRA → file. kohya (A1111/ComfyUI): `lora_unet_<path>.lora_down.weight` [rank, in],
// `.lora_up.weight` [out, rank], `.alpha` (scalar), with kohya's `ss_*` metadata. PEFT/diffusers:
// `unet.<path>.lora_A.weight` / `.lora_B.weight` with alpha / rank folded into B (PEFT files default alpha = rank).
import { writeSafetensors, type TensorSource } from '../../../checkpoints';
import { kohyaLoraKey } from '../../../models/sd/keys';
import type { TensorSet } from '../../../engine/optim';
import type { LoraParamSpec } from './graph';

export interface LoraFileInfo {
  rank: number;
  alpha: number;
  /** ss_* values: base model version, comment, steps, … (strings). */
  metadata: Record<string, string>;
}

function f32(data: Float32Array, shape: number[]): TensorSource {
  return { dtype: 'F32', shape, data };
}

export async function writeKohyaLora(
  file: string,
  specs: readonly LoraParamSpec[],
  params: Readonly<TensorSet>,
  info: LoraFileInfo,
): Promise<void> {
  const tensors = new Map<string, TensorSource>();
  for (const spec of specs) {
    tensors.set(
      kohyaLoraKey('unet', spec.module, 'down'),
      f32(params[spec.down]!, [info.rank, spec.inFeatures]),
    );
    tensors.set(
      kohyaLoraKey('unet', spec.module, 'up'),
      f32(params[spec.up]!, [spec.outFeatures, info.rank]),
    );
    tensors.set(kohyaLoraKey('unet', spec.module, 'alpha'), f32(Float32Array.of(info.alpha), []));
  }
  await writeSafetensors(file, tensors, {
    ss_network_module: 'networks.lora',
    ss_network_dim: String(info.rank),
    ss_network_alpha: String(info.alpha),
    ...info.metadata,
  });
}

export async function writePeftLora(
  file: string,
  specs: readonly LoraParamSpec[],
  params: Readonly<TensorSet>,
  info: LoraFileInfo,
): Promise<void> {
  const scale = Math.fround(info.alpha / info.rank);
  const tensors = new Map<string, TensorSource>();
  for (const spec of specs) {
    tensors.set(`unet.${spec.module}.lora_A.weight`, f32(params[spec.down]!, [info.rank, spec.inFeatures]));
    const up = scale === 1 ? params[spec.up]! : params[spec.up]!.map((v) => v * scale);
    tensors.set(`unet.${spec.module}.lora_B.weight`, f32(up, [spec.outFeatures, info.rank]));
  }
  await writeSafetensors(file, tensors, { format: 'pt', lora_rank: String(info.rank), ...info.metadata });
}
