// LoRA files (kohya `lora_unet_*`/`lora_te_*`, PEFT/diffusers `unet.*.lora_A/B`, diffusers ≤ 0.20 attention
// processors) read into per-module down/up matrices, and the feeds that put one or several of them, with
// strengths, into a UNet or text-encoder graph built with loraGraphInputs: ranks are concatenated (A stacked,
// B side by side) and each file's strength · alpha / rank is folded into its B columns. Nothing here touches
// a session.
import { loadStateDict, toFloat32, type StateDict, type TensorData } from '../../checkpoints';
import type { TensorMap } from '../../engine/runtime';
import { modulePathsOf, resolveLoraKeys, type LoraComponent, type LoraTarget } from './keys';
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
  /** Text-encoder modules by transformers path (`text_model.encoder.layers.N.self_attn.q_proj`, …). */
  textEncoder: Map<string, LoraMatrices>;
  /** Largest rank in the file: its width in the concatenated rank dimension. */
  rank: number;
  /** What is not applied, each as `<target or key> (<reason>)`, reported to the user. */
  skipped: string[];
}

export interface ActiveLora {
  lora: LoraWeights;
  /** Strength (diffusers' cross_attention_kwargs scale). */
  scale: number;
}

/** Modules the graphs take LoRA on (UNet with loraScope 'transformer'; the text encoder's blocks). */
const PATCHED: Readonly<Record<LoraComponent, RegExp>> = {
  unet: /\.(to_q|to_k|to_v|to_out\.0|proj_in|proj_out|ff\.net\.0\.proj|ff\.net\.2)$/,
  text_encoder: /\.(self_attn\.(q_proj|k_proj|v_proj|out_proj)|mlp\.fc1|mlp\.fc2)$/,
};

function loraMap(lora: LoraWeights, component: LoraComponent): Map<string, LoraMatrices> {
  return component === 'unet' ? lora.unet : lora.textEncoder;
}

/** Why a target is not applied, or undefined when it is. */
function unsupported(target: LoraTarget, down: TensorData, up: TensorData): string | undefined {
  const kernel = [...down.shape.slice(2), ...up.shape.slice(2)];
  if (kernel.some((d) => d !== 1))
    return `${down.shape.slice(2).join('×')} convolution LoRA (LoCon) is not applied`;
  if (!PATCHED[target.component].test(target.module))
    return target.component === 'unet'
      ? 'only attention, proj_in/proj_out and feed-forward layers of the UNet are patched'
      : 'only the text encoder attention and MLP layers are patched';
  return undefined;
}

async function matricesOf(
  file: string,
  target: LoraTarget,
  state: StateDict,
  down: TensorData,
  up: TensorData,
): Promise<LoraMatrices> {
  // Linear [rank, in] / [out, rank], or a 1×1 convolution [rank, in, 1, 1] / [out, rank, 1, 1] (kohya).
  const [r, inFeatures] = down.shape;
  const [outFeatures, upRank] = up.shape;
  if (!r || !inFeatures || !outFeatures || upRank !== r)
    throw new Error(
      `${file}: ${target.module} has down [${down.shape.join(', ')}] and up [${up.shape.join(', ')}]`,
    );
  const alphaTensor = target.alpha ? state.tensors.get(target.alpha)! : undefined;
  const alpha = alphaTensor ? toFloat32(alphaTensor.dtype, await alphaTensor.read())[0]! : r;
  return {
    rank: r,
    inFeatures,
    outFeatures,
    down: toFloat32(down.dtype, await down.read()),
    up: toFloat32(up.dtype, await up.read()),
    alphaScale: alpha / r,
  };
}

/**
 * Reads a LoRA file against the model's module paths (`unetNames`/`textEncoderNames`: its tensor names).
 * Applied: the UNet's attention projections, proj_in/proj_out and feed-forward layers (linear or 1×1), and
 * the text encoder's q/k/v/out_proj, fc1 and fc2; everything else is listed in `skipped` with the reason.
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
    const lora: LoraWeights = { source: file, unet: new Map(), textEncoder: new Map(), rank: 0, skipped: [] };
    for (const target of resolved.targets) {
      const down = state.tensors.get(target.down)!;
      const up = state.tensors.get(target.up)!;
      const reason = unsupported(target, down, up);
      if (reason) {
        lora.skipped.push(`${target.component}.${target.module} (${reason})`);
        continue;
      }
      const matrices = await matricesOf(file, target, state, down, up);
      loraMap(lora, target.component).set(target.module, matrices);
      lora.rank = Math.max(lora.rank, matrices.rank);
    }
    for (const key of resolved.unmatched)
      lora.skipped.push(`${key} (not a LoRA weight of a module of this model)`);
    if (lora.rank === 0)
      throw new Error(
        `${file}: the LoRA patches nothing this model applies (${lora.skipped.slice(0, 3).join('; ')})`,
      );
    return lora;
  } finally {
    await state.close();
  }
}

/**
 * Feeds for every LoRA input of a `component` graph: zero matrices of rank 1 when no LoRA is active (an
 * exact no-op), else the files' ranks side by side with strength · alpha / rank folded into B.
 */
export function loraFeeds(
  modules: readonly LoraModule[],
  active: readonly ActiveLora[],
  component: LoraComponent = 'unet',
): TensorMap {
  const taken = new Set(modules.map((m) => m.module));
  for (const { lora } of active)
    for (const module of loraMap(lora, component).keys())
      if (!taken.has(module))
        throw new Error(`${lora.source}: the ${component} graph takes no LoRA on ${module}`);
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
      const m = loraMap(lora, component).get(spec.module);
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
