// One forward + backward of a LoRA training graph: host tensors in, loss and named gradients out.
import type { TensorSet } from '../../../engine/optim';
import type { EngineSession, TensorMap } from '../../../engine/runtime';
import { timestepEmbedding, UNET_CONTEXT, UNET_SAMPLE, UNET_TIME, type UnetConfig } from '../../../models/sd';
import {
  DPO_SCALE_INPUT,
  DPO_TERMS_OUTPUT,
  LOSS_OUTPUT,
  LOSS_SCALE_INPUT,
  TARGET_INPUT,
  type LoraParamSpec,
} from './graph';

/** A micro-batch as the UNet sees it: noisy latents, their timesteps, the text states and the target noise. */
export interface MicroBatch {
  noisy: Float32Array;
  target: Float32Array;
  timesteps: readonly number[];
  /** [batch, sequence, width] */
  context: Float32Array;
  sequence: number;
  /** Diffusion-DPO: 1 for the trained half, 0 for the reference half. */
  sampleScale?: Float32Array;
}

export interface StepResult {
  loss: number;
  /** Gradients by trainable input name, unscaled (copies the caller may modify). */
  grads: TensorSet;
  /** Diffusion-DPO: model and reference (w − l) differences per pair. */
  dpoTerms?: Float32Array;
}

export interface StepShape {
  config: UnetConfig;
  latentHeight: number;
  latentWidth: number;
  contextWidth: number;
}

export function stepFeeds(
  batch: MicroBatch,
  shape: StepShape,
  params: TensorSet,
  specs: readonly LoraParamSpec[],
  lossScale = 1,
): TensorMap {
  const n = batch.timesteps.length;
  const { config, latentHeight: h, latentWidth: w } = shape;
  const latentDims = [n, config.inChannels, h, w];
  const timeWidth = config.blockOutChannels[0]!;
  const feeds: TensorMap = {
    [UNET_SAMPLE]: { dtype: 'float32', data: batch.noisy, dims: latentDims },
    [TARGET_INPUT]: { dtype: 'float32', data: batch.target, dims: latentDims },
    [UNET_TIME]: {
      dtype: 'float32',
      data: timestepEmbedding(batch.timesteps, timeWidth, config.flipSinToCos, config.freqShift),
      dims: [n, timeWidth],
    },
    [UNET_CONTEXT]: { dtype: 'float32', data: batch.context, dims: [n, batch.sequence, shape.contextWidth] },
    [LOSS_SCALE_INPUT]: { dtype: 'float32', data: Float32Array.of(lossScale), dims: [1] },
  };
  if (batch.sampleScale)
    feeds[DPO_SCALE_INPUT] = { dtype: 'float32', data: batch.sampleScale, dims: [n, 1, 1] };
  for (const spec of specs) {
    const down = params[spec.down];
    const up = params[spec.up];
    if (!down || !up) throw new Error(`no LoRA parameters for ${spec.module}`);
    feeds[spec.down] = {
      dtype: 'float32',
      data: down,
      dims: [down.length / spec.inFeatures, spec.inFeatures],
    };
    feeds[spec.up] = { dtype: 'float32', data: up, dims: [spec.outFeatures, up.length / spec.outFeatures] };
  }
  return feeds;
}

export async function runStep(
  session: EngineSession,
  feeds: TensorMap,
  specs: readonly LoraParamSpec[],
  signal?: AbortSignal,
): Promise<StepResult> {
  const names = specs.flatMap((s) => [`grad/${s.down}`, `grad/${s.up}`]);
  const dpo = DPO_SCALE_INPUT in feeds;
  const out = await session.run(feeds, {
    signal,
    outputs: [LOSS_OUTPUT, ...names, ...(dpo ? [DPO_TERMS_OUTPUT] : [])],
  });
  const scale = (feeds[LOSS_SCALE_INPUT]!.data as Float32Array)[0]!;
  const grads: TensorSet = {};
  for (const spec of specs) {
    for (const name of [spec.down, spec.up]) {
      const g = out[`grad/${name}`]!.data as Float32Array;
      grads[name] = scale === 1 ? Float32Array.from(g) : g.map((v) => v / scale);
    }
  }
  const loss = (out[LOSS_OUTPUT]!.data as Float32Array)[0]!;
  return { loss, grads, dpoTerms: dpo ? (out[DPO_TERMS_OUTPUT]!.data as Float32Array) : undefined };
}
