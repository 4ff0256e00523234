// LoRA as graph inputs: a patched UNet projection computes W·x + b + up·(down·x); the text encoder, which runs
// once per prompt, uses the weight W + up·down. The low-rank pair comes from a provider, so the same graph
// serves inference (inputs with a symbolic rank, fed per run: switching files or scales never rebuilds the
// session) and training (trainable inputs of a fixed rank).
import type { Graph, Tensor } from '../../engine/ir/graph';

/** down [rank, in], up [out, rank]; any scale (strength · alpha / rank) is folded into up by the feeder. */
export interface LoraPair {
  down: Tensor;
  up: Tensor;
  /** Optional per-sample factor on the LoRA branch, broadcast against [batch, tokens, out] (e.g. [batch, 1, 1]):
   * 0 for a sample gives the frozen model, which Diffusion-DPO's reference needs in the same graph. */
  sampleScale?: Tensor;
}

export interface LoraModule {
  /**
   * Dotted module path: diffusers' in the UNet (`mid_block.attentions.0.transformer_blocks.0.attn2.to_k`),
   * transformers' in the text encoder (`text_model.encoder.layers.0.self_attn.q_proj`).
   */
  module: string;
  inFeatures: number;
  outFeatures: number;
}

/** Called once per patchable projection while a graph is built; undefined leaves it unpatched. */
export type LoraProvider = (g: Graph, spec: LoraModule) => LoraPair | undefined;

/** nn.Linear plus an optional low-rank update, as diffusers' LoRA processors compute it: W x + b + B(A x). */
export function loraLinear(
  g: Graph,
  x: Tensor,
  weight: Tensor,
  bias: Tensor | undefined,
  lora?: LoraPair,
): Tensor {
  const base = g.linear(x, weight, bias);
  return lora ? base.add(loraDelta(g, x, lora)) : base;
}

/** The low-rank branch alone, B(A x) on [..., in] → [..., out]: also a 1×1 convolution's update in token layout. */
export function loraDelta(g: Graph, x: Tensor, lora: LoraPair): Tensor {
  const delta = g.linear(g.linear(x, lora.down), lora.up);
  return lora.sampleScale ? delta.mul(lora.sampleScale) : delta;
}

/** ΔW = up · down [out, in], for graphs that merge the update into a weight (the text encoder). */
export function loraWeightDelta(g: Graph, lora: LoraPair): Tensor {
  return g.matmul(lora.up, lora.down);
}

export const LORA_RANK_DIM = 'lora_rank';

export function loraInputNames(module: string): { down: string; up: string } {
  return { down: `lora/${module}/down`, up: `lora/${module}/up` };
}

/**
 * Inference provider: every patchable projection gets `lora/<module>/down` [lora_rank, in] and
 * `lora/<module>/up` [out, lora_rank] inputs. `modules` lists them in graph order for the feeder.
 */
export function loraGraphInputs(): { provider: LoraProvider; modules: LoraModule[] } {
  const modules: LoraModule[] = [];
  const provider: LoraProvider = (g, spec) => {
    modules.push(spec);
    const names = loraInputNames(spec.module);
    return {
      down: g.input(names.down, [LORA_RANK_DIM, spec.inFeatures]),
      up: g.input(names.up, [spec.outFeatures, LORA_RANK_DIM]),
    };
  };
  return { provider, modules };
}
