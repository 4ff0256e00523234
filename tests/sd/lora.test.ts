// LoRA as graph inputs: the kohya fixture LoRA reproduces diffusers' output, several LoRAs concatenate
// along the rank, and switching files or strengths reuses the one session (no rebuild).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { writeSafetensors, type TensorSource } from '../../main/checkpoints';
import {
  SessionCache,
  openGraphSession,
  type EngineSession,
  type TensorMap,
} from '../../main/engine/runtime';
import {
  buildUnet,
  loadLoraFile,
  loraFeeds,
  loraGraphInputs,
  timestepEmbedding,
  UNET_CONTEXT,
  UNET_OUTPUT,
  UNET_SAMPLE,
  UNET_TIME,
  type LoraModule,
  type LoraWeights,
} from '../../main/models/sd';
import type { Graph } from '../../main/engine/ir/graph';
import { loadSdModel, type SdModel } from '../../main/services/diffusion/loader';
import { fixture, readF32, relativeError, tempDir, tinyFolder } from './helpers';
import { expectWithin } from '../parity';

let model: SdModel;
let lora: LoraWeights;
let modules: LoraModule[];
let graph: Graph;
const sessions = new SessionCache();
const workDir = tempDir('sd-lora-');
let inputs: TensorMap;

async function open(): Promise<EngineSession> {
  return openGraphSession(graph, { ep: 'cpu', precision: 'fp32', sessions, workDir });
}

async function unetOut(session: EngineSession, loraInputs: TensorMap): Promise<Float32Array> {
  const out = await session.run({ ...inputs, ...loraInputs }, { outputs: [UNET_OUTPUT] });
  return out[UNET_OUTPUT]!.data as Float32Array;
}

beforeAll(async () => {
  model = await loadSdModel(tinyFolder);
  const io = loraGraphInputs();
  graph = buildUnet(model.unet.weights, model.unet.config, {
    height: 16,
    width: 16,
    storage: 'f32',
    lora: io.provider,
  });
  modules = io.modules;
  lora = await loadLoraFile(
    fixture('lora-tiny-kohya.safetensors'),
    model.unet.weights.names(),
    model.textEncoder.weights.names(),
  );
  const width = model.unet.config.blockOutChannels[0]!;
  inputs = {
    [UNET_SAMPLE]: { dtype: 'float32', data: readF32('unet_sample.f32'), dims: [2, 4, 16, 16] },
    [UNET_TIME]: { dtype: 'float32', data: timestepEmbedding([500, 500], width), dims: [2, width] },
    [UNET_CONTEXT]: { dtype: 'float32', data: readF32('unet_ehs.f32'), dims: [2, 77, 32] },
  };
});
afterAll(async () => {
  await sessions.clear();
  await model.close();
});

describe('LoRA as UNet graph inputs (sd-tiny)', () => {
  it('patches every attention projection: 16 transformers × 2 attentions × 4', () => {
    expect(modules).toHaveLength(128);
    expect(lora.unet.size).toBe(128);
    expect(lora.rank).toBe(4);
    expect(lora.unet.get(modules[0]!.module)!.alphaScale).toBe(0.5);
  });

  it('no LoRA (rank-1 zeros) reproduces the plain UNet; the kohya LoRA at scale 1 reproduces diffusers', async () => {
    const session = await open();
    try {
      const plain = relativeError(
        await unetOut(session, loraFeeds(modules, [])),
        readF32('unet_out_t500.f32'),
      );
      const patched = relativeError(
        await unetOut(session, loraFeeds(modules, [{ lora, scale: 1 }])),
        readF32('unet_lora_out_t500.f32'),
      );
      expectWithin('UNet t=500 without LoRA vs unet_out_t500', plain, 1e-4);
      expectWithin('UNet t=500 with the kohya LoRA vs unet_lora_out_t500', patched, 1e-4);
    } finally {
      await session.release();
    }
  });

  it("the generation graph (loraScope 'transformer': proj_in/proj_out and feed-forward too) reproduces diffusers", async () => {
    const io = loraGraphInputs();
    const wide = buildUnet(model.unet.weights, model.unet.config, {
      height: 16,
      width: 16,
      storage: 'f32',
      lora: io.provider,
      loraScope: 'transformer',
    });
    expect(io.modules).toHaveLength(192);
    const session = await openGraphSession(wide, { ep: 'cpu', precision: 'fp32', sessions, workDir });
    try {
      const out = await unetOut(session, loraFeeds(io.modules, [{ lora, scale: 1 }]));
      const err = relativeError(out, readF32('unet_lora_out_t500.f32'));
      expectWithin('kohya LoRA on the generation graph vs unet_lora_out_t500', err, 1e-4);
    } finally {
      await session.release();
    }
  });

  it('two LoRAs concatenate along the rank: 0.5 + 0.5 of the same file equals it at 1', async () => {
    const session = await open();
    try {
      const half = loraFeeds(modules, [
        { lora, scale: 0.5 },
        { lora, scale: 0.5 },
      ]);
      expect(half[`lora/${modules[0]!.module}/down`]!.dims[0]).toBe(8);
      const err = relativeError(await unetOut(session, half), readF32('unet_lora_out_t500.f32'));
      expectWithin('two half-strength copies vs unet_lora_out_t500', err, 1e-4);
    } finally {
      await session.release();
    }
  });

  it('switching LoRA files and scales reuses the same session object (no rebuild)', async () => {
    const first = await open();
    await unetOut(first, loraFeeds(modules, []));
    const builds = sessions.size;
    const timings: number[] = [];
    let previous: Float32Array | undefined;
    for (const active of [
      [{ lora, scale: 1 }],
      [{ lora, scale: 0.3 }],
      [],
      [
        { lora, scale: 0.5 },
        { lora, scale: 0.7 },
      ],
    ]) {
      const session = await open();
      expect(session).toBe(first);
      const started = performance.now();
      const out = await unetOut(first, loraFeeds(modules, active));
      timings.push(performance.now() - started);
      if (previous) expect(relativeError(out, previous)).toBeGreaterThan(0);
      previous = out;
      await session.release();
    }
    await first.release();
    expect(sessions.size).toBe(builds);
    console.log(
      `LoRA switch (feeds + one UNet run on the held session): ${timings.map((t) => t.toFixed(0)).join(', ')} ms`,
    );
  });

  it('a PEFT/diffusers file (unet.<path>.lora_A/B, alpha = rank) gives the same output as its kohya twin', async () => {
    // The kohya fixture has alpha 2 at rank 4: the PEFT twin stores up · 0.5, since PEFT files imply alpha = rank.
    const tensors = new Map<string, TensorSource>();
    for (const [module, m] of lora.unet) {
      tensors.set(`unet.${module}.lora_A.weight`, {
        dtype: 'F32',
        shape: [m.rank, m.inFeatures],
        data: m.down,
      });
      tensors.set(`unet.${module}.lora_B.weight`, {
        dtype: 'F32',
        shape: [m.outFeatures, m.rank],
        data: m.up.map((v) => v * m.alphaScale),
      });
    }
    const file = path.join(tempDir('sd-peft-'), 'peft.safetensors');
    await writeSafetensors(file, tensors);
    const peft = await loadLoraFile(file, model.unet.weights.names(), model.textEncoder.weights.names());
    expect(peft.unet.size).toBe(128);
    const session = await open();
    try {
      const err = relativeError(
        await unetOut(session, loraFeeds(modules, [{ lora: peft, scale: 1 }])),
        readF32('unet_lora_out_t500.f32'),
      );
      expectWithin('PEFT layout vs unet_lora_out_t500', err, 1e-4);
    } finally {
      await session.release();
    }
  });
});
