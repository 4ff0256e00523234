// LoRA files (kohya `lora_unet_*`, PEFT/diffusers `unet.*.lora_A/B`, diffusers ≤ 0.20 attention processors)
// read into per-module down/up matrices, and the feeds that put one or several of them, with strengths, into
// a UNet graph built with loraGraphInputs: ranks are concatenated (A stacked, B side by side) and each file's
// strength · alpha / rank is folded into its B columns. Nothing here touches a session.
import { loadStateDict, toFloat32 } from '../../checkpoints';
import type { TensorMap } from '../../engine/runtime';
import { modulePathsOf, resolveLoraKeys } from './keys';
import { loraInputNames, type LoraModule } from './lora-graph';

export interface LoraMatrices {
  rank: number;
  inFeatures: number;
  outFeatures: number;
  /** [rank, in] */
  down: Float32Array;
  /** [out, rank] */
  up: Float32Array;
  /** alpha / rank (1 when the file stores no alpha). */
  alphaScale: number;
}

export interface LoraWeights {
  source: string;
  /** UNet modules by dotted diffusers path. */
  unet: Map<string, LoraMatrices>;
  /** Largest rank in the file: its width in the concatenated rank dimension. */
  rank: number;
  /** Targets the graph does not patch (text encoder, non-attention layers), reported to the user. */
  skipped: string[];
}

export interface ActiveLora {
  lora: LoraWeights;
  /** Strength (diffusers' cross_attention_kwargs scale). */
  scale: number;
}

const PATCHED = /\.(to_q|to_k|to_v|to_out\.0)$/;

/**
 * Reads a LoRA file against the model's module paths (`unetNames`/`textEncoderNames`: its tensor names).
 * Only attention projections (to_q/to_k/to_v/to_out.0) of the UNet are applied; the rest is listed in `skipped`.
 */
export async function loadLoraFile(
  file: string,
  unetNames: Iterable<string>,
  textEncoderNames: Iterable<string>,
): Promise<LoraWeights> {
  const state = await loadStateDict(file);
  try {
    const resolved = resolveLoraKeys(state.tensors.keys(), {
      unet: modulePathsOf(unetNames),
      text_encoder: modulePathsOf(textEncoderNames),
    });
    if (resolved.targets.length === 0) {
      const sample = resolved.unmatched.slice(0, 3).join(', ');
      throw new Error(`${file}: no LoRA weights for this model's modules (keys such as ${sample || 'none'})`);
    }
    const unet = new Map<string, LoraMatrices>();
    const skipped: string[] = [];
    let rank = 0;
    for (const target of resolved.targets) {
      if (target.component !== 'unet' || !PATCHED.test(target.module)) {
        skipped.push(`${target.component}.${target.module}`);
        continue;
      }
      const down = state.tensors.get(target.down)!;
      const up = state.tensors.get(target.up)!;
      const [r, inFeatures, ...restDown] = down.shape;
      const [outFeatures, upRank, ...restUp] = up.shape;
      if (!r || !inFeatures || upRank !== r || [...restDown, ...restUp].some((d) => d !== 1))
        throw new Error(
          `${file}: ${target.module} has down [${down.shape.join(', ')}] and up [${up.shape.join(', ')}]`,
        );
      const alpha = target.alpha
        ? toFloat32(state.tensors.get(target.alpha)!.dtype, await state.tensors.get(target.alpha)!.read())[0]!
        : r;
      unet.set(target.module, {
        rank: r,
        inFeatures,
        outFeatures: outFeatures!,
        down: toFloat32(down.dtype, await down.read()),
        up: toFloat32(up.dtype, await up.read()),
        alphaScale: alpha / r,
      });
      rank = Math.max(rank, r);
    }
    if (unet.size === 0)
      throw new Error(
        `${file}: the LoRA patches no UNet attention projection (only ${skipped.slice(0, 3).join(', ')}…)`,
      );
    return { source: file, unet, rank, skipped };
  } finally {
    await state.close();
  }
}

/**
 * Feeds for every LoRA input of the graph: zero matrices of rank 1 when no LoRA is active (an exact
 * no-op), else the files' ranks side by side with strength · alpha / rank folded into B.
 */
export function loraFeeds(modules: readonly LoraModule[], active: readonly ActiveLora[]): TensorMap {
  const offsets: number[] = [];
  let total = 0;
  for (const { lora } of active) {
    offsets.push(total);
    total += lora.rank;
  }
  const rank = Math.max(1, total);
  const feeds: TensorMap = {};
  for (const spec of modules) {
    const down = new Float32Array(rank * spec.inFeatures);
    const up = new Float32Array(spec.outFeatures * rank);
    active.forEach(({ lora, scale }, f) => {
      const m = lora.unet.get(spec.module);
      if (!m) return;
      if (m.inFeatures !== spec.inFeatures || m.outFeatures !== spec.outFeatures)
        throw new Error(
          `${lora.source}: ${spec.module} is ${m.outFeatures}×${m.inFeatures}, the model has ${spec.outFeatures}×${spec.inFeatures}`,
        );
      const offset = offsets[f]!;
      down.set(m.down, offset * spec.inFeatures);
      const factor = Math.fround(scale * m.alphaScale);
      for (let o = 0; o < spec.outFeatures; o++)
        for (let j = 0; j < m.rank; j++) up[o * rank + offset + j] = m.up[o * m.rank + j]! * factor;
    });
    const names = loraInputNames(spec.module);
    feeds[names.down] = { dtype: 'float32', data: down, dims: [rank, spec.inFeatures] };
    feeds[names.up] = { dtype: 'float32', data: up, dims: [spec.outFeatures, rank] };
  }
  return feeds;
}
