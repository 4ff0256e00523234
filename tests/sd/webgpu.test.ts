// The UNet through the WebGPU EP (lavapipe here; the engine lowers GroupNorm to InstanceNormalization, which
// WebGPU has). Stated tolerances: fp32 ≤ 1e-4 relative (the README's float32 bound; measured 5e-6 with
// attention unfused: ORT's WebGPU MultiHeadAttention alone costs ~5e-3), fp16 (the GPU policy) ≤ 2e-2.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SessionCache, openGraphSession, type ComputePrecision } from '../../main/engine/runtime';
import {
  buildUnet,
  loraFeeds,
  loraGraphInputs,
  timestepEmbedding,
  UNET_CONTEXT,
  UNET_OUTPUT,
  UNET_SAMPLE,
  UNET_TIME,
} from '../../main/models/sd';
import { loadSdModel, type SdModel } from '../../main/services/diffusion/loader';
import { readF32, relativeError, tempDir, tinyFolder } from './helpers';
import { expectWithin } from '../parity';

let model: SdModel;
const sessions = new SessionCache();

beforeAll(async () => {
  model = await loadSdModel(tinyFolder);
});
afterAll(async () => {
  await sessions.clear();
  await model.close();
});

describe('UNet on the WebGPU EP (sd-tiny, t = 500)', () => {
  it.each([
    ['fp32', 1e-4],
    ['fp16', 2e-2],
  ] as const)(
    '%s within %s',
    async (precision: ComputePrecision, tolerance: number) => {
      const cfg = model.unet.config;
      const io = loraGraphInputs();
      const graph = buildUnet(model.unet.weights, cfg, {
        height: 16,
        width: 16,
        storage: precision === 'fp16' ? 'f16' : 'f32',
        lora: io.provider,
      });
      const session = await openGraphSession(graph, {
        ep: 'webgpu',
        precision,
        sessions,
        workDir: tempDir('sd-webgpu-'),
      });
      try {
        expect(session.report().ep).toBe('webgpu');
        const width = cfg.blockOutChannels[0]!;
        const out = await session.run({
          ...loraFeeds(io.modules, []),
          [UNET_SAMPLE]: { dtype: 'float32', data: readF32('unet_sample.f32'), dims: [2, 4, 16, 16] },
          [UNET_TIME]: { dtype: 'float32', data: timestepEmbedding([500, 500], width), dims: [2, width] },
          [UNET_CONTEXT]: { dtype: 'float32', data: readF32('unet_ehs.f32'), dims: [2, 77, 32] },
        });
        const err = relativeError(out[UNET_OUTPUT]!.data as Float32Array, readF32('unet_out_t500.f32'));
        expectWithin(`UNet on webgpu ${precision} vs unet_out_t500`, err, tolerance);
      } finally {
        await session.release();
      }
    },
    300_000,
  );
});
