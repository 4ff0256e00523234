// The CLIP-family checkpoint training starts from: its config, every tower weight as float32 under the
// reference (OpenAI) names whatever the file's layout, and the kind whose preprocessing and score it keeps.
import { loadStateDict } from '../../checkpoints';
import type { TrainableKind } from '../../contract/names';
import { ClipModel, type TensorTable } from '../../models/clip';
import { textWeightNames, visionWeightNames } from '../../models/clip/towers';
import { resolveCheckpoint, type ResolvedCheckpoint } from '../scoring/checkpoint';
import { KIND_SPECS } from '../scoring/kinds';
import { LOGIT_SCALE } from './graphs';

export type { TrainableKind };

/** CLIP's initial temperature, for checkpoints saved without logit_scale: ln(1 / 0.07). */
const DEFAULT_LOGIT_SCALE = Math.log(1 / 0.07);

/** What an HF config.json beside the checkpoint says (activation, head counts). */
type HfOverrides = Omit<ResolvedCheckpoint, 'file'>;

export interface BaseModel {
  kind: TrainableKind;
  file: string;
  model: ClipModel;
  /** Every weight of both towers plus logit_scale, float32, reference names. */
  weights: Map<string, Float32Array>;
  shapes: Map<string, number[]>;
}

export async function loadBaseModel(kind: TrainableKind, checkpoint: string): Promise<BaseModel> {
  const resolved = await resolveCheckpoint(checkpoint);
  const state = await loadStateDict(resolved.file);
  try {
    return await baseModelFromTensors(kind, state.tensors, resolved.file, resolved);
  } finally {
    await state.close();
  }
}

/** A base model from tensors in hand (converted or generated weights); `file` names it in the saved header. */
export async function baseModelFromTensors(
  kind: TrainableKind,
  tensors: TensorTable,
  file: string,
  overrides: HfOverrides = {},
): Promise<BaseModel> {
  const spec = KIND_SPECS[kind];
  const model = ClipModel.fromTensors(tensors, {
    activation: overrides.activation ?? spec.activation,
    heads: { convention: spec.heads, visionHeads: overrides.visionHeads, textHeads: overrides.textHeads },
  });
  const weights = new Map<string, Float32Array>();
  const shapes = new Map<string, number[]>();
  for (const name of [...visionWeightNames(model.config), ...textWeightNames(model.config)]) {
    weights.set(name, (await model.weights.read(name, 'f32')) as Float32Array);
    shapes.set(name, model.weights.shape(name));
  }
  const hasScale = model.weights.has(LOGIT_SCALE);
  weights.set(
    LOGIT_SCALE,
    hasScale
      ? Float32Array.from(await model.weights.read(LOGIT_SCALE, 'f32'))
      : Float32Array.of(DEFAULT_LOGIT_SCALE),
  );
  shapes.set(LOGIT_SCALE, hasScale ? model.weights.shape(LOGIT_SCALE) : []);
  return { kind, file, model, weights, shapes };
}

export function weightOf(base: BaseModel): (name: string) => Float32Array {
  return (name) => {
    const w = base.weights.get(name);
    if (!w) throw new Error(`weight ${name} was not loaded`);
    return w;
  };
}

export function shapeOf(base: BaseModel): (name: string) => number[] {
  return (name) => {
    const s = base.shapes.get(name);
    if (!s) throw new Error(`weight ${name} was not loaded`);
    return s;
  };
}
