// The LoRA-injected UNet graph is the training graph too: a provider that makes the LoRA matrices trainable
// inputs (scale alpha/rank folded into B as a constant) reproduces the fixture's training step — loss and
// the gradient of every LoRA down/up weight (README: ≤ 1e-4 relative).
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSafetensors, toFloat32 } from '../../main/checkpoints';
import { addTrainingOutputs } from '../../main/engine/autodiff';
import { SessionCache, openGraphSession, type TensorMap } from '../../main/engine/runtime';
import {
  buildUnet,
  loadLoraFile,
  timestepEmbedding,
  UNET_CONTEXT,
  UNET_OUTPUT,
  UNET_SAMPLE,
  UNET_TIME,
  type LoraProvider,
  type LoraWeights,
} from '../../main/models/sd';
import { loadSdModel, type SdModel } from '../../main/services/diffusion/loader';
import { fixture, readF32, relativeError, tempDir, tinyFolder } from './helpers';
import { expectWithin } from '../parity';

let model: SdModel;
let lora: LoraWeights;
const sessions = new SessionCache();

beforeAll(async () => {
  model = await loadSdModel(tinyFolder);
  lora = await loadLoraFile(
    fixture('lora-tiny-kohya.safetensors'),
    model.unet.weights.names(),
    model.textEncoder.weights.names(),
  );
});
afterAll(async () => {
  await sessions.clear();
  await model.close();
});

describe('LoRA training through the same UNet graph (sd-tiny)', () => {
  it('loss and LoRA gradients match the reference training step', async () => {
    const provider: LoraProvider = (g, spec) => {
      const m = lora.unet.get(spec.module)!;
      const down = g.input(`${spec.module}.down`, [m.rank, spec.inFeatures], {
        trainable: true,
        init: m.down,
      });
      const up = g.input(`${spec.module}.up`, [spec.outFeatures, m.rank], { trainable: true, init: m.up });
      return { down, up: up.mul(m.alphaScale) };
    };
    const g = buildUnet(model.unet.weights, model.unet.config, {
      height: 16,
      width: 16,
      storage: 'f32',
      lora: provider,
    });
    const diff = g.outputs.get(UNET_OUTPUT)!.sub(g.input('target', ['batch', 4, 16, 16]));
    addTrainingOutputs(g, g.meanAll(diff.mul(diff)));
    const session = await openGraphSession(g, {
      ep: 'cpu',
      precision: 'fp32',
      sessions,
      workDir: tempDir('sd-train-'),
    });
    const raw = readFileSync(fixture('train_timesteps.i64'));
    const timesteps = [
      ...new BigInt64Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength)),
    ].map(Number);
    const feeds: TensorMap = {
      [UNET_SAMPLE]: { dtype: 'float32', data: readF32('train_noisy.f32'), dims: [2, 4, 16, 16] },
      [UNET_TIME]: { dtype: 'float32', data: timestepEmbedding(timesteps, 32), dims: [2, 32] },
      [UNET_CONTEXT]: { dtype: 'float32', data: readF32('unet_ehs.f32'), dims: [2, 77, 32] },
      target: { dtype: 'float32', data: readF32('train_noise.f32'), dims: [2, 4, 16, 16] },
    };
    for (const [module, m] of lora.unet) {
      feeds[`${module}.down`] = { dtype: 'float32', data: m.down, dims: [m.rank, m.inFeatures] };
      feeds[`${module}.up`] = { dtype: 'float32', data: m.up, dims: [m.outFeatures, m.rank] };
    }
    try {
      const out = await session.run(feeds);
      const manifest = JSON.parse(readFileSync(fixture('manifest.json'), 'utf8')) as {
        train: { loss: number };
      };
      const loss = (out.loss!.data as Float32Array)[0]!;
      expectWithin(
        'LoRA training step loss vs train.loss',
        Math.abs(loss - manifest.train.loss) / manifest.train.loss,
        1e-4,
      );
      const reference = await openSafetensors(fixture('train_grads.safetensors'));
      const ours: number[] = [];
      const ref: number[] = [];
      let compared = 0;
      let stored = 0;
      try {
        for (const module of lora.unet.keys()) {
          const key = `lora_unet_${module.replaceAll('.', '_')}`;
          for (const [role, name] of [
            ['lora_down', 'down'],
            ['lora_up', 'up'],
          ] as const) {
            const t = reference.tensors().get(`${key}.${role}.weight`)!;
            ref.push(...toFloat32(t.dtype, await t.read()));
            ours.push(...(out[`grad/${module}.${name}`]!.data as Float32Array));
            compared++;
          }
        }
        stored = reference.tensors().size;
      } finally {
        await reference.close();
      }
      const err = relativeError(ours, ref);
      expect(compared).toBe(stored);
      expectWithin('LoRA training step gradients vs train_grads', err, 1e-4);
    } finally {
      await session.release();
    }
  });
});
