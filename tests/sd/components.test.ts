// Parity of the SD components with diffusers 0.19.3 / transformers on the tiny fixture model (README: ≤ 1e-4).
import { afterAll, beforeAll, describe, it } from 'vitest';
import {
  buildTextEncoder,
  buildUnet,
  buildVaeDecoder,
  buildVaeEncoder,
  timestepEmbedding,
  TEXT_INPUT,
  TEXT_OUTPUT,
  UNET_CONTEXT,
  UNET_OUTPUT,
  UNET_SAMPLE,
  UNET_TIME,
  VAE_DECODED,
  VAE_IMAGE,
  VAE_LATENT,
  VAE_MEAN,
  VAE_STD,
} from '../../main/models/sd';
import { loadSdModel, type SdModel } from '../../main/services/diffusion/loader';
import { readF32, readI64AsI32, relativeError, runGraph, tinyFolder } from './helpers';
import { expectWithin } from '../parity';

const TOLERANCE = 1e-4;
let model: SdModel;

beforeAll(async () => {
  model = await loadSdModel(tinyFolder);
});
afterAll(async () => {
  await model.close();
});

describe('SD components vs diffusers (sd-tiny)', () => {
  it('text encoder: te_input_ids → te_last_hidden_state', async () => {
    const ids = readI64AsI32('te_input_ids.i64');
    const graph = buildTextEncoder(model.textEncoder.weights, model.textEncoder.config, 'f32');
    const out = await runGraph(
      graph,
      { [TEXT_INPUT]: { dtype: 'int32', data: ids, dims: [2, 77] } },
      TEXT_OUTPUT,
    );
    const err = relativeError(out, readF32('te_last_hidden_state.f32'));
    expectWithin('text encoder vs te_last_hidden_state', err, TOLERANCE);
  });

  it.each([999, 500, 1])('UNet at t = %i', async (t) => {
    const cfg = model.unet.config;
    const graph = buildUnet(model.unet.weights, cfg, { height: 16, width: 16, storage: 'f32' });
    const out = await runGraph(
      graph,
      {
        [UNET_SAMPLE]: { dtype: 'float32', data: readF32('unet_sample.f32'), dims: [2, 4, 16, 16] },
        [UNET_TIME]: {
          dtype: 'float32',
          data: timestepEmbedding([t, t], cfg.blockOutChannels[0]!),
          dims: [2, cfg.blockOutChannels[0]!],
        },
        [UNET_CONTEXT]: { dtype: 'float32', data: readF32('unet_ehs.f32'), dims: [2, 77, 32] },
      },
      UNET_OUTPUT,
    );
    const err = relativeError(out, readF32(`unet_out_t${t}.f32`));
    expectWithin(`UNet t=${t} vs unet_out_t${t}`, err, TOLERANCE);
  });

  it('VAE decode: vae_latent → vae_decoded', async () => {
    const graph = buildVaeDecoder(model.vae.weights, model.vae.config, 8, 8);
    const out = await runGraph(
      graph,
      { [VAE_LATENT]: { dtype: 'float32', data: readF32('vae_latent.f32'), dims: [1, 4, 8, 8] } },
      VAE_DECODED,
    );
    const err = relativeError(out, readF32('vae_decoded.f32'));
    expectWithin('VAE decode vs vae_decoded', err, TOLERANCE);
  });

  it('VAE encode: vae_image → mean, std', async () => {
    const graph = buildVaeEncoder(model.vae.weights, model.vae.config, 64, 64);
    const feeds = {
      [VAE_IMAGE]: { dtype: 'float32' as const, data: readF32('vae_image.f32'), dims: [1, 3, 64, 64] },
    };
    const mean = await runGraph(graph, feeds, VAE_MEAN);
    const std = await runGraph(graph, feeds, VAE_STD);
    const errMean = relativeError(mean, readF32('vae_enc_mean.f32'));
    const errStd = relativeError(std, readF32('vae_enc_std.f32'));
    expectWithin('VAE encode mean vs vae_enc_mean', errMean, TOLERANCE);
    expectWithin('VAE encode std vs vae_enc_std', errStd, TOLERANCE);
  });
});
