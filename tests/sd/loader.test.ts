// Model loading: the diffusers folder and the A1111/LDM single file (fp16) give the same tensors under the
// same names (equal after f16 rounding), architectures inferred from shapes match config.json, and missing
// parts are named in the error.
import { cp, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readWeight, unetConfigFromWeights, vaeConfigFromWeights } from '../../main/models/sd';
import { loadSdModel, type SdModel } from '../../main/services/diffusion/loader';
import { tempDir, tinyFolder, tinySingleFile } from './helpers';

let folder: SdModel;
let single: SdModel;

beforeAll(async () => {
  folder = await loadSdModel(tinyFolder);
  single = await loadSdModel(tinySingleFile, { configDir: tinyFolder });
});
afterAll(async () => {
  await folder.close();
  await single.close();
});

describe('SD model loading', () => {
  it.each(['unet', 'vae', 'textEncoder'] as const)(
    '%s: single-file tensors equal the folder tensors after f16 rounding',
    async (component) => {
      const a = folder[component].weights;
      const b = single[component].weights;
      expect(b.names().sort()).toEqual(a.names().sort());
      let mismatched = 0;
      for (const name of a.names()) {
        expect(b.shape(name), name).toEqual(a.shape(name));
        const ours = (await readWeight(b.get(name), 'f16')) as Uint16Array;
        const rounded = (await readWeight(a.get(name), 'f16')) as Uint16Array;
        for (let i = 0; i < ours.length; i++) if (ours[i] !== rounded[i]) mismatched++;
      }
      expect(mismatched).toBe(0);
    },
  );

  it('infers the architecture of a single file from tensor shapes', () => {
    const { sampleSize: _a, ...fromShapes } = unetConfigFromWeights(single.unet.weights);
    const { sampleSize: _b, ...fromConfig } = folder.unet.config;
    expect(fromShapes).toEqual(fromConfig);
    const { sampleSize: _c, ...vaeShapes } = vaeConfigFromWeights(single.vae.weights);
    const { sampleSize: _d, ...vaeConfig } = folder.vae.config;
    expect(vaeShapes).toEqual(vaeConfig);
    expect(single.layout).toBe('single-file');
    expect(folder.scheduler.stepsOffset).toBe(1);
  });

  it('a narrow text encoder in a single file needs its config (heads are not in the shapes)', async () => {
    await expect(loadSdModel(tinySingleFile)).rejects.toThrow(/head count cannot be inferred/);
    expect(single.textEncoder.config).toEqual(folder.textEncoder.config);
  });

  it('names the missing part of a diffusers folder', async () => {
    const dir = tempDir('sd-missing-');
    for (const part of ['unet', 'text_encoder'])
      await cp(path.join(tinyFolder, part), path.join(dir, part), { recursive: true });
    await expect(loadSdModel(dir)).rejects.toThrow(/vae\/config\.json is missing/);
    await mkdir(path.join(dir, 'vae'));
    await cp(path.join(tinyFolder, 'vae', 'config.json'), path.join(dir, 'vae', 'config.json'));
    await expect(loadSdModel(dir)).rejects.toThrow(/no vae weights/);
    await rm(dir, { recursive: true, force: true });
    await expect(loadSdModel(path.join(dir, 'nothing'))).rejects.toThrow(/model not found/);
  });

  it('reads *.fp16.safetensors variants', async () => {
    const dir = tempDir('sd-fp16-');
    for (const part of ['unet', 'vae', 'text_encoder'])
      await cp(path.join(tinyFolder, part), path.join(dir, part), { recursive: true });
    const { rename } = await import('node:fs/promises');
    await rename(
      path.join(dir, 'unet', 'diffusion_pytorch_model.safetensors'),
      path.join(dir, 'unet', 'diffusion_pytorch_model.fp16.safetensors'),
    );
    const model = await loadSdModel(dir);
    try {
      expect(model.unet.weights.identity).toContain('diffusion_pytorch_model.fp16.safetensors');
      expect(model.unet.config).toEqual(folder.unet.config);
    } finally {
      await model.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
