// Training graphs: the SD UNet with trainable LoRA down/up inputs on every attention's to_q/k/v/out.0
// (frozen weights stay initializers of the session), the loss, and grad/<input> for each LoRA matrix —
// one graph from the engine's autodiff.
//   epsilon-MSE (HPS recipe): mean((unet(noisy, t, ctx) − target)²) over every element of the micro-batch.
//   Diffusion-DPO: the batch is [w₁..w_P, l₁..l_P, w₁..w_P, l₁..l_P]; the second half runs with the LoRA
//   branch multiplied by 0 (the frozen reference, in the same graph), so one run gives mse_w, mse_l,
//   ref_w, ref_l and loss = mean(−logsigmoid(−0.5·β·((mse_w − mse_l) − (ref_w − ref_l)))).
import { gradients } from '../../../engine/autodiff';
import type { Graph, Tensor } from '../../../engine/ir/graph';
import {
  buildUnet,
  UNET_OUTPUT,
  type ComponentWeights,
  type LoraModule,
  type UnetConfig,
  type WeightStorage,
} from '../../../models/sd';

export const TARGET_INPUT = 'target';
export const DPO_SCALE_INPUT = 'lora_sample_scale';
export const LOSS_OUTPUT = 'loss';
/** Gradients are of loss × loss_scale (fed per run, [1]): fp16 backward passes underflow without it. */
export const LOSS_SCALE_INPUT = 'loss_scale';
export const DPO_TERMS_OUTPUT = 'dpo_terms';

export type Objective = { kind: 'mse' } | { kind: 'dpo'; beta: number; pairs: number };

export interface LoraGraphOptions {
  /** Latent height and width. */
  height: number;
  width: number;
  rank: number;
  /** kohya alpha: the LoRA branch is scaled by alpha / rank. */
  alpha: number;
  storage: WeightStorage;
  objective: Objective;
  /** Recompute each UNet block's activations in the backward pass instead of keeping them (less memory, ≈ one more forward). */
  gradientCheckpointing: boolean;
}

export interface LoraParamSpec extends LoraModule {
  /** Graph input names of the trainable matrices. */
  down: string;
  up: string;
}

export interface LoraTrainingGraph {
  graph: Graph;
  params: LoraParamSpec[];
}

export function loraParamNames(module: string): { down: string; up: string } {
  return { down: `lora_train/${module}/down`, up: `lora_train/${module}/up` };
}

export function buildLoraTrainingGraph(
  weights: ComponentWeights,
  config: UnetConfig,
  options: LoraGraphOptions,
): LoraTrainingGraph {
  const params: LoraParamSpec[] = [];
  const scale = options.alpha / options.rank;
  let sampleScale: Tensor | undefined;
  const graph = buildUnet(weights, config, {
    height: options.height,
    width: options.width,
    storage: options.storage,
    checkpointing: options.gradientCheckpointing,
    lora: (g, spec) => {
      const names = loraParamNames(spec.module);
      params.push({ ...spec, ...names });
      const down = g.input(names.down, [options.rank, spec.inFeatures], { trainable: true });
      const up = g.input(names.up, [spec.outFeatures, options.rank], { trainable: true });
      if (options.objective.kind === 'dpo') sampleScale ??= g.input(DPO_SCALE_INPUT, ['batch', 1, 1]);
      return { down, up: scale === 1 ? up : up.mul(scale), sampleScale };
    },
  });
  const prediction = graph.outputs.get(UNET_OUTPUT);
  if (!prediction) throw new Error('the UNet graph has no noise prediction output');
  const target = graph.input(TARGET_INPUT, prediction.shape);
  const err = graph.sub(prediction, target);
  const squared = graph.mul(err, err);
  const loss =
    options.objective.kind === 'mse'
      ? graph.meanAll(squared)
      : dpoLoss(graph, graph.mean(squared, [1, 2, 3]), options.objective);
  const trainables = graph.trainables();
  const lossScale = graph.input(LOSS_SCALE_INPUT, [1]);
  const grads = gradients(graph, graph.mul(loss, lossScale), trainables);
  graph.output(LOSS_OUTPUT, loss);
  trainables.forEach((t, i) => graph.output(`grad/${(t.source as { name: string }).name}`, grads[i]!));
  return { graph, params };
}

/**
 * Diffusion-DPO on per-sample errors [4P] laid out as [model_w, model_l, ref_w, ref_l] (P each).
 * −logsigmoid(z) = softplus(−z), computed as relu(u) + log(1 + exp(−|u|)) so β = 5000 cannot overflow.
 */
export function dpoLoss(g: Graph, perSample: Tensor, objective: { beta: number; pairs: number }): Tensor {
  // [4P] → [4, P] gives the four groups a static axis to slice.
  const grouped = g.reshape(perSample, [4, objective.pairs]);
  const chunk = (i: number) => g.slice(grouped, [i], [i + 1], [0]);
  const modelDiff = g.sub(chunk(0), chunk(1));
  const refDiff = g.sub(chunk(2), chunk(3));
  const inside = g.mul(g.sub(modelDiff, refDiff), -0.5 * objective.beta);
  const u = g.neg(inside);
  const softplus = g.add(g.relu(u), g.log(g.add(g.exp(g.neg(g.abs(u))), 1)));
  g.output(DPO_TERMS_OUTPUT, g.concat([modelDiff, refDiff], 0));
  return g.meanAll(softplus);
}
