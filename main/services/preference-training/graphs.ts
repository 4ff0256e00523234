// The engine graphs of preference training. Frozen weights are initializers; the trained ones are graph
// inputs, so one lowered model serves every step while AdamW updates them in TypeScript.
//   - prefix graphs (frozen, run once per image / prompt): hidden states after the first depth − k blocks;
//   - the step graph (per image count m): cached hidden states of C comparisons × m images and their prompts →
//     logits = exp(logit_scale)·cosine [C, m] → cross-entropy against soft targets (sum over comparisons) →
//     `loss` and `grad/<name>` for every trained weight;
//   - feature graphs: the suffixes alone, trained weights fed as plain inputs (evaluation, saved-scorer parity).
import { addTrainingOutputs } from '../../engine/autodiff';
import { Graph, type Tensor } from '../../engine/ir/graph';
import { blockWeightNames, type Params } from '../../models/clip/blocks';
import type { ClipConfig } from '../../models/clip';
import { textPrefix, textSuffix, visionPrefix, visionSuffix } from './split-towers';

export const LOGIT_SCALE = 'logit_scale';
export const TARGETS = 'targets';
/** [C·m, C] one-hot: which comparison (prompt row) each image row belongs to. */
export const IMAGE_PROMPT = 'image_prompt';
export const IMAGE_FEATURES = 'image_features';
export const TEXT_FEATURES = 'text_features';

/** Float32 weights by reference name (frozen ones read once; trained ones are the optimizer's live arrays). */
export type WeightSource = (name: string) => Float32Array;
export type ShapeOf = (name: string) => number[];

/** LoRA on the attention projections of every block of both towers, instead of training whole blocks. */
export interface LoraSettings {
  rank: number;
  alpha: number;
}

const LORA_TARGET = /^(visual\.)?transformer\.resblocks\.\d+\.attn\.(in_proj_weight|out_proj\.weight)$/;
export const loraDown = (target: string) => `${target}.lora_down`;
export const loraUp = (target: string) => `${target}.lora_up`;

/** The attention weights LoRA adapts: W_eff = W + (alpha / rank) · up · down, with down [rank, in], up [out, rank]. */
export function loraTargets(cfg: ClipConfig): string[] {
  const names = [
    ...blockWeightNames('visual.transformer', cfg.vision.layers),
    ...blockWeightNames('transformer', cfg.text.layers),
  ];
  return names.filter((name) => LORA_TARGET.test(name));
}

/** Blocks of each tower that stay frozen (and cached): all but the last `k`, or none under LoRA. */
export function splitPoints(
  cfg: ClipConfig,
  k: number,
  lora?: LoraSettings,
): { vision: number; text: number } {
  if (lora) return { vision: 0, text: 0 };
  if (!Number.isInteger(k) || k < 0) throw new Error(`blocks to train must be a whole number ≥ 0, got ${k}`);
  if (k > cfg.vision.layers || k > cfg.text.layers)
    throw new Error(
      `cannot train ${k} blocks: the towers have ${cfg.vision.layers} (vision) and ${cfg.text.layers} (text)`,
    );
  return { vision: cfg.vision.layers - k, text: cfg.text.layers - k };
}

const HEAD = [
  'visual.ln_post.weight',
  'visual.ln_post.bias',
  'visual.proj',
  'ln_final.weight',
  'ln_final.bias',
  'text_projection',
  LOGIT_SCALE,
];

/**
 * The trained tensors: the last k blocks of both towers, ln_post, ln_final, both projections and logit_scale;
 * under LoRA, every attention projection's down/up pair instead of the blocks.
 */
export function trainableNames(cfg: ClipConfig, k: number, lora?: LoraSettings): string[] {
  if (lora) return [...loraTargets(cfg).flatMap((t) => [loraDown(t), loraUp(t)]), ...HEAD];
  const split = splitPoints(cfg, k);
  const lastBlocks = (prefix: string, layers: number, from: number) =>
    blockWeightNames(prefix, layers).filter((name) => Number(/resblocks\.(\d+)\./.exec(name)![1]) >= from);
  return [
    ...lastBlocks('visual.transformer', cfg.vision.layers, split.vision),
    ...lastBlocks('transformer', cfg.text.layers, split.text),
    ...HEAD,
  ];
}

export interface GraphInputs {
  cfg: ClipConfig;
  /** Values of every weight (and of the LoRA factors, for their shapes and initial values). */
  weights: WeightSource;
  shapeOf: ShapeOf;
  trainable: ReadonlySet<string>;
  blocks: number;
  lora?: LoraSettings;
}

/** How trained tensors enter a graph: as trainable inputs (step), plain inputs (features) or initializers (prefix). */
type Mode = 'train' | 'feed' | 'freeze';

/** Graph tensors for weights by reference name; LoRA targets come out as W + scale · up · down. */
function paramsOf(g: Graph, s: GraphInputs, mode: Mode): Params {
  const made = new Map<string, Tensor>();
  const leaf = (name: string): Tensor => {
    let t = made.get(name);
    if (!t) {
      const trained = s.trainable.has(name) && mode !== 'freeze';
      const shape = s.shapeOf(name);
      t =
        trained && mode === 'feed'
          ? g.input(name, shape)
          : g.param(name, trained ? Float32Array.from(s.weights(name)) : s.weights(name), {
              shape,
              trainable: trained,
            });
      made.set(name, t);
    }
    return t;
  };
  return (name) => {
    if (!s.lora || !LORA_TARGET.test(name)) return leaf(name);
    const key = `${name}#lora`;
    let t = made.get(key);
    if (!t) {
      t = leaf(name).add(
        leaf(loraUp(name))
          .matmul(leaf(loraDown(name)))
          .mul(s.lora.alpha / s.lora.rank),
      );
      made.set(key, t);
    }
    return t;
  };
}

export function visionPrefixGraph(s: GraphInputs): Graph {
  const g = new Graph('preference_vision_prefix');
  visionPrefix(g, s.cfg, paramsOf(g, s, 'freeze'), splitPoints(s.cfg, s.blocks, s.lora).vision);
  return g;
}

export function textPrefixGraph(s: GraphInputs): Graph {
  const g = new Graph('preference_text_prefix');
  textPrefix(g, s.cfg, paramsOf(g, s, 'freeze'), splitPoints(s.cfg, s.blocks, s.lora).text);
  return g;
}

/** Suffix of one tower with the trained weights as plain inputs: features for evaluation. */
export function featureGraph(s: GraphInputs, tower: 'vision' | 'text'): Graph {
  const g = new Graph(`preference_${tower}_features`);
  const p = paramsOf(g, s, 'feed');
  const split = splitPoints(s.cfg, s.blocks, s.lora);
  if (tower === 'vision') g.output(IMAGE_FEATURES, visionSuffix(g, s.cfg, p, split.vision));
  else g.output(TEXT_FEATURES, textSuffix(g, s.cfg, p, split.text));
  return g;
}

function l2Normalized(g: Graph, x: Tensor): Tensor {
  return x.div(g.sqrt(g.sum(x.mul(x), [-1], true)));
}

/**
 * One training step over comparisons of `imageCount` images each: image_hidden [C·m, …] (comparison-major),
 * text_hidden [C, …], eot_index [C], image_prompt [C·m, C] (one-hot), targets [C, m] (rows sum to 1; a tie
 * between two images is 0.5 / 0.5).
 */
export function stepGraph(s: GraphInputs, imageCount: number): Graph {
  const g = new Graph(`preference_step_${imageCount}`);
  const p = paramsOf(g, s, 'train');
  const split = splitPoints(s.cfg, s.blocks, s.lora);
  const images = l2Normalized(g, visionSuffix(g, s.cfg, p, split.vision));
  const texts = l2Normalized(g, textSuffix(g, s.cfg, p, split.text));
  const targets = g.input(TARGETS, ['prompts', imageCount]);
  // Each image row meets its own prompt through a fed one-hot product (the batch dims are symbolic).
  const promptOfImage = g.input(IMAGE_PROMPT, ['images', 'prompts']);
  const cosine = g.reshapeLike(g.sum(images.mul(promptOfImage.matmul(texts)), [-1]), targets);
  const logits = cosine.mul(g.exp(p(LOGIT_SCALE)));
  const loss = g.neg(g.sumAll(targets.mul(g.logSoftmax(logits, -1))));
  g.output('cosine', cosine);
  addTrainingOutputs(g, loss);
  return g;
}
