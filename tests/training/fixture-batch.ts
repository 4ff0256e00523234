// The LoRA training step of ../shared/fixtures/sd (manifest `train`): the fixture LoRA's matrices as the
// trainable parameters, and the noisy latents, target noise, timesteps and text states of its batch.
import { readFileSync } from 'node:fs';
import type { LoraWeights } from '../../main/models/sd';
import type { SdModel } from '../../main/services/diffusion/loader';
import type { LoraTrainingGraph } from '../../main/services/training/lora/graph';
import { fixture, readF32 } from '../sd/helpers';

export function fixtureTrainingInputs(model: SdModel, lora: LoraWeights, built: LoraTrainingGraph) {
  const params: Record<string, Float32Array> = {};
  for (const spec of built.params) {
    const m = lora.unet.get(spec.module)!;
    params[spec.down] = m.down;
    params[spec.up] = m.up;
  }
  const ts = readFileSync(fixture('train_timesteps.i64'));
  const timesteps = Array.from(
    new BigInt64Array(ts.buffer.slice(ts.byteOffset, ts.byteOffset + ts.byteLength)),
    Number,
  );
  const batch = {
    noisy: readF32('train_noisy.f32'),
    target: readF32('train_noise.f32'),
    timesteps,
    context: readF32('unet_ehs.f32'),
    sequence: 77,
  };
  const shape = { config: model.unet.config, latentHeight: 16, latentWidth: 16, contextWidth: 32 };
  return { params, batch, shape };
}
