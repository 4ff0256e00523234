// The generation use case the worker task and the CLI share (sd-tiny): PNG names by seed (a numbered one when
// taken), step previews as PNGs in order before the result, one warning line per LoRA file with modules not
// applied; and WarmPipelines: one pipeline per spec, kept between runs, which go one at a time.
import { readFile, symlink } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateImages, type StepPreview } from '../../main/services/diffusion/generate-images';
import { SdPipeline } from '../../main/services/diffusion/pipeline';
import { WarmPipelines } from '../../main/services/diffusion/warm-pipelines';
import { clipVocab, fixture, tempDir, tinyFolder } from './helpers';
import { syntheticModules, writeKohyaLora } from './synthetic-lora';

const REQUEST = {
  prompt: 'a red cube on a blue table',
  negative: 'Weird image. ',
  steps: 2,
  cfg: 7.5,
  seed: 5,
  scheduler: 'euler' as const,
};
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

let pipe: SdPipeline;

beforeAll(async () => {
  pipe = await SdPipeline.open(tinyFolder, { vocab: clipVocab, workDir: tempDir('sd-generate-') });
});
afterAll(async () => {
  await pipe.close();
});

/** A kohya file with one attention LoRA and one on a 3×3 convolution (LoCon, which the pipeline skips). */
async function writeWithLocon(file: string): Promise<void> {
  const conv = 'down_blocks.0.resnets.0.conv1';
  const [out, inFeatures] = pipe.model.unet.weights.shape(`${conv}.weight`) as [number, number];
  const key = `lora_unet_${conv.replaceAll('.', '_')}`;
  await writeKohyaLora(
    file,
    (await syntheticModules(1)).slice(0, 1),
    new Map([
      [
        `${key}.lora_down.weight`,
        { dtype: 'F32', shape: [2, inFeatures, 3, 3], data: new Float32Array(2 * inFeatures * 9) },
      ],
      [`${key}.lora_up.weight`, { dtype: 'F32', shape: [out, 2, 1, 1], data: new Float32Array(out * 2) }],
    ]),
  );
}

describe('generateImages (sd-tiny)', () => {
  it('writes seed-<seed>.png per image (numbered when taken), after every step preview', async () => {
    const outDir = path.join(tempDir('sd-generate-out-'), 'out');
    await generateImages(pipe, { ...REQUEST, outDir });
    const previews: StepPreview[] = [];
    const { images, loraWarnings } = await generateImages(pipe, {
      ...REQUEST,
      batch: 2,
      outDir,
      onPreview: (preview) => previews.push(preview),
    });
    expect(images).toEqual([
      { file: path.join(outDir, 'seed-5-1.png'), seed: 5 },
      { file: path.join(outDir, 'seed-6.png'), seed: 6 },
    ]);
    expect(loraWarnings).toEqual([]);
    for (const { file } of images) {
      const { width, height } = await sharp(file).metadata();
      // The model's own size when none is given.
      expect([width, height]).toEqual([32, 32]);
    }
    expect(previews.map(({ step, total }) => [step, total])).toEqual([
      [1, 2],
      [2, 2],
    ]);
    expect(previews.every(({ png }) => png.subarray(0, 8).equals(PNG_SIGNATURE))).toBe(true);
    expect((await readFile(images[0]!.file)).equals(await readFile(path.join(outDir, 'seed-5.png')))).toBe(
      true,
    );
  });

  it('names each LoRA file with modules it could not apply, in one line', async () => {
    const locon = path.join(tempDir('sd-generate-lora-'), 'with-locon.safetensors');
    await writeWithLocon(locon);
    const { loraWarnings } = await generateImages(pipe, {
      ...REQUEST,
      steps: 1,
      loras: [
        { file: fixture('lora-tiny-kohya.safetensors'), scale: 1 },
        { file: locon, scale: 1 },
      ],
      outDir: tempDir('sd-generate-out-'),
    });
    expect(loraWarnings).toEqual([
      'with-locon.safetensors: 1 target not applied, e.g. unet.down_blocks.0.resnets.0.conv1 (3×3 convolution LoRA (LoCon) is not applied)',
    ]);
  });
});

describe('WarmPipelines', () => {
  const spec = { model: tinyFolder, vocab: clipVocab, ep: 'cpu' as const, workDir: tempDir('sd-warm-') };
  const signal = new AbortController().signal;

  it('keeps one pipeline per spec and runs one at a time', async () => {
    const pipelines = new WarmPipelines();
    const order: string[] = [];
    let releaseFirst!: () => void;
    const first = pipelines.run(spec, signal, async (warm) => {
      order.push('first started');
      await new Promise<void>((resolve) => (releaseFirst = resolve));
      order.push('first done');
      return warm;
    });
    const second = pipelines.run(spec, signal, async (warm) => {
      order.push('second started');
      return warm;
    });
    await expect.poll(() => order).toEqual(['first started']);
    releaseFirst();
    const [a, b] = await Promise.all([first, second]);
    expect(order).toEqual(['first started', 'first done', 'second started']);
    expect(a).toBe(b);
    await a.close();
  });

  it('does not start a run whose signal aborted while it waited, and goes on with the next', async () => {
    const pipelines = new WarmPipelines();
    const controller = new AbortController();
    controller.abort(new Error('cancelled'));
    let ran = false;
    await expect(
      pipelines.run(spec, controller.signal, async () => {
        ran = true;
      }),
    ).rejects.toThrow('cancelled');
    expect(ran).toBe(false);
    const warm = await pipelines.run(spec, signal, async (p) => p);
    await warm.close();
  });

  it('opens again after a failed open (the path may be fixed meanwhile)', async () => {
    const pipelines = new WarmPipelines();
    const later = { ...spec, model: path.join(tempDir('sd-warm-later-'), 'sd-tiny') };
    await expect(pipelines.run(later, signal, async (p) => p)).rejects.toThrow();
    await symlink(tinyFolder, later.model);
    const warm = await pipelines.run(later, signal, async (p) => p);
    await warm.close();
  });
});
