// training.start's HPS-recipe extras: a regularisation folder (images with same-named .txt captions) reaches the
// run's dataset at the chosen share, and is refused at once (the service's rule) for Diffusion-DPO.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoraTrainingSettingsSchema } from '../../main/contract/training';
import { parseTrainingConfig } from '../../main/services/training/lora';
import { loadDataset } from '../../main/services/training/lora/dataset';
import { clipVocab, labeledLibrary, startTestApi, tinyModel, type TestApi } from './generate-helpers';

let t: TestApi;
let folder: string;

beforeAll(async () => {
  t = await startTestApi('hps-training-settings-', labeledLibrary);
  folder = path.join(t.base, 'regularisation');
  await mkdir(folder, { recursive: true });
  for (const [name, caption] of [
    ['a', 'a photo of a tree'],
    ['b', 'a photo of a lake'],
  ]) {
    const pixels = { create: { width: 32, height: 32, channels: 3 as const, background: '#4a7' } };
    await sharp(pixels)
      .png()
      .toFile(path.join(folder, `${name}.png`));
    await writeFile(path.join(folder, `${name}.txt`), caption);
  }
}, 60_000);

afterAll(async () => {
  await t?.server.close();
  if (t) await rm(t.base, { recursive: true, force: true });
});

const tiny = { model: tinyModel, vocab: clipVocab, resolution: 32, steps: 1 };

describe('training.start regularisation', () => {
  it('is refused for Diffusion-DPO with a message that says why', async () => {
    await expect(
      t.call('training.start', { ...tiny, recipe: 'dpo', regularization: { folder } }),
    ).rejects.toMatchObject({
      status: 400,
      message: expect.stringMatching(/regularisation folder applies to the hps recipe only/),
    });
  });

  it("reaches the HPS run's dataset: the folder's captioned images at the chosen share", async () => {
    const settings = LoraTrainingSettingsSchema.parse({ ...tiny, regularization: { folder, ratio: 0.4 } });
    const config = parseTrainingConfig(await t.app.training.loraInput(settings, 'reg'));
    expect(config.regularization).toEqual({ folder, ratio: 0.4 });
    const dataset = await loadDataset(config, path.join(t.base, 'work'));
    expect(dataset.regularization.map((r) => [path.basename(r.image), r.caption])).toEqual([
      ['a.png', 'a photo of a tree'],
      ['b.png', 'a photo of a lake'],
    ]);
  });

  it('takes a quarter of the samples by default', () => {
    const settings = LoraTrainingSettingsSchema.parse({ ...tiny, regularization: { folder } });
    expect(settings.regularization).toEqual({ folder, ratio: 0.25 });
  });
});
