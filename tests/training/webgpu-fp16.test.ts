// The GPU precision policy on the WebGPU EP (lavapipe here): frozen UNet weights stored and computed in fp16,
// LoRA matrices fed and returned in fp32. The fixture step's loss and LoRA gradients stay close to the fp32
// reference with the trainer's fp16 loss scale (fp16 arithmetic: loose bounds, reported).
import { readFileSync } from 'node:fs';
import { afterAll, describe, it } from 'vitest';
import { loadStateDict, toFloat32 } from '../../main/checkpoints';
import { openGraphSession, probeExecutionProvider, SessionCache } from '../../main/engine/runtime';
import { kohyaLoraKey } from '../../main/models/sd/keys';
import { loadLoraFile } from '../../main/models/sd';
import { loadSdModel } from '../../main/services/diffusion/loader';
import { buildLoraTrainingGraph } from '../../main/services/training/lora/graph';
import { runStep, stepFeeds } from '../../main/services/training/lora/step';
import { fixture, relativeError, tempDir, tinyFolder } from '../sd/helpers';
import { fixtureTrainingInputs } from './fixture-batch';
import { expectWithin } from '../parity';

const sessions = new SessionCache();
/** The trainer's initial fp16 loss scale. */
const LOSS_SCALE = 4096;
afterAll(() => sessions.clear());
const webgpu = await probeExecutionProvider('webgpu');

describe.skipIf(!webgpu.ok)('LoRA training step under the fp16 policy (webgpu)', () => {
  it('loss and LoRA gradients stay close to the fixture', async () => {
    const model = await loadSdModel(tinyFolder);
    try {
      const lora = await loadLoraFile(
        fixture('lora-tiny-kohya.safetensors'),
        model.unet.weights.names(),
        model.textEncoder.weights.names(),
      );
      const built = buildLoraTrainingGraph(model.unet.weights, model.unet.config, {
        height: 16,
        width: 16,
        rank: 4,
        alpha: 2,
        storage: 'f16',
        gradientCheckpointing: true,
        objective: { kind: 'mse' },
      });
      const session = await openGraphSession(built.graph, {
        ep: 'webgpu',
        precision: 'fp16',
        sessions,
        workDir: tempDir('train-webgpu-'),
      });
      const { params, batch, shape } = fixtureTrainingInputs(model, lora, built);
      const result = await runStep(
        session,
        stepFeeds(batch, shape, params, built.params, LOSS_SCALE),
        built.params,
      );
      await session.release();
      const manifest = JSON.parse(readFileSync(fixture('manifest.json'), 'utf8')) as {
        train: { loss: number };
      };
      const ref = await loadStateDict(fixture('train_grads.safetensors'));
      let worst = 0;
      let diff = 0;
      let norm = 0;
      try {
        for (const spec of built.params)
          for (const [role, name] of [
            ['down', spec.down],
            ['up', spec.up],
          ] as const) {
            const t = ref.tensors.get(kohyaLoraKey('unet', spec.module, role))!;
            const expected = toFloat32(t.dtype, await t.read());
            worst = Math.max(worst, relativeError(result.grads[name]!, expected));
            expected.forEach((v, i) => {
              diff += (result.grads[name]![i]! - v) ** 2;
              norm += v * v;
            });
          }
      } finally {
        await ref.close();
      }
      const lossError = Math.abs(result.loss - manifest.train.loss) / manifest.train.loss;
      const overall = Math.sqrt(diff / norm);
      expectWithin('webgpu fp16 loss vs train.loss', lossError, 1e-2);
      expectWithin('webgpu fp16 all LoRA gradients', overall, 3e-2);
      expectWithin('webgpu fp16 worst single LoRA gradient', worst, 1e-1);
    } finally {
      await model.close();
    }
  }, 900_000);
});
