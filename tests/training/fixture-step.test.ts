// The fixture's LoRA training step (diffusers 0.19.3 LoRAAttnProcessor on sd-tiny): with the kohya LoRA
// (alpha 2, rank 4 → branch scale 0.5), the fixture's noisy latents, timesteps, target noise and unet_ehs, our
// one-graph loss equals train.loss and every LoRA gradient matches train_grads.safetensors (kohya names),
// with gradient checkpointing on (the trainer's default) and off.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadStateDict, toFloat32 } from '../../main/checkpoints';
import { SessionCache, openGraphSession, type EngineSession } from '../../main/engine/runtime';
import { kohyaLoraKey } from '../../main/models/sd/keys';
import { loadLoraFile, type LoraWeights } from '../../main/models/sd';
import { loadSdModel, type SdModel } from '../../main/services/diffusion/loader';
import { buildLoraTrainingGraph, type LoraTrainingGraph } from '../../main/services/training/lora/graph';
import { runStep, stepFeeds, type StepResult } from '../../main/services/training/lora/step';
import { fixture, relativeError, tempDir, tinyFolder } from '../sd/helpers';
import { fixtureTrainingInputs } from './fixture-batch';
import { expectWithin } from '../parity';

const manifest = JSON.parse(readFileSync(fixture('manifest.json'), 'utf8')) as { train: { loss: number } };
let model: SdModel;
let lora: LoraWeights;
const sessions = new SessionCache();
const opened: EngineSession[] = [];

beforeAll(async () => {
  model = await loadSdModel(tinyFolder);
  lora = await loadLoraFile(
    fixture('lora-tiny-kohya.safetensors'),
    model.unet.weights.names(),
    model.textEncoder.weights.names(),
  );
}, 600_000);

async function fixtureStep(
  gradientCheckpointing: boolean,
): Promise<{ built: LoraTrainingGraph; result: StepResult }> {
  const built = buildLoraTrainingGraph(model.unet.weights, model.unet.config, {
    height: 16,
    width: 16,
    rank: 4,
    alpha: 2,
    storage: 'f32',
    objective: { kind: 'mse' },
    gradientCheckpointing,
  });
  const session = await openGraphSession(built.graph, {
    ep: 'cpu',
    precision: 'fp32',
    sessions,
    workDir: tempDir('train-fixture-'),
  });
  opened.push(session);
  const { params, batch, shape } = fixtureTrainingInputs(model, lora, built);
  return {
    built,
    result: await runStep(session, stepFeeds(batch, shape, params, built.params), built.params),
  };
}

afterAll(async () => {
  for (const session of opened) await session.release();
  await sessions.clear();
  await model?.close();
});

describe.each([true, false])(
  'LoRA training step vs the diffusers fixture (cpu, fp32, checkpointing %s)',
  (on) => {
    let built: LoraTrainingGraph;
    let result: StepResult;
    beforeAll(async () => {
      ({ built, result } = await fixtureStep(on));
    }, 600_000);

    it('builds one checkpoint segment per resnet and Transformer2D only when asked', () => {
      const cfg = model.unet.config;
      const n = cfg.layersPerBlock;
      const levels = cfg.blockOutChannels.length;
      const withAttention = (flags: readonly boolean[]) => flags.filter(Boolean).length;
      const resnets = levels * n + 2 + levels * (n + 1);
      const transformers =
        withAttention(cfg.downHasAttention) * n + 1 + withAttention(cfg.upHasAttention) * (n + 1);
      const labels = built.graph.segments.map((s) => s.label);
      expect(labels.length).toBe(on ? resnets + transformers : 0);
      if (on)
        expect(labels).toEqual(expect.arrayContaining(['mid_block.attentions.0', 'up_blocks.0.resnets.0']));
    });

    it('every attention projection is trainable with kohya alpha/rank = 0.5', () => {
      expect(built.params).toHaveLength(128);
      expect(lora.unet.get(built.params[0]!.module)!.alphaScale).toBe(0.5);
    });

    it('loss equals train.loss', () => {
      const rel = Math.abs(result.loss - manifest.train.loss) / manifest.train.loss;
      expectWithin(`checkpointing ${on}: loss vs train.loss`, rel, 1e-4);
    });

    it('every LoRA gradient matches train_grads.safetensors (relative error ≤ 1e-4)', async () => {
      const ref = await loadStateDict(fixture('train_grads.safetensors'));
      try {
        let worst = 0;
        let worstName = '';
        let compared = 0;
        for (const spec of built.params) {
          for (const [role, name] of [
            ['down', spec.down],
            ['up', spec.up],
          ] as const) {
            const tensor = ref.tensors.get(kohyaLoraKey('unet', spec.module, role));
            expect(tensor, `${spec.module} ${role}`).toBeDefined();
            const err = relativeError(result.grads[name]!, toFloat32(tensor!.dtype, await tensor!.read()));
            if (err > worst) [worst, worstName] = [err, `${spec.module} ${role}`];
            compared++;
          }
        }
        expect(compared).toBe(256);
        expectWithin(`checkpointing ${on}: worst of 256 LoRA gradients (${worstName})`, worst, 1e-4);
      } finally {
        await ref.close();
      }
    });
  },
);
