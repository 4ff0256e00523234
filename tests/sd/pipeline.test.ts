// The full txt2img run of the fixture (PNDM, 10 steps, CFG 7.5, "Weird image. ", seed 11, 32×32): initial
// latents against pipe_latents (torch.randn with seed 11, ≤ 1e-4) and the image against pipe_image (±1/255 per value); previews, progress,
// cancellation, size validation.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SdPipeline } from '../../main/services/diffusion/pipeline';
import { SCHEDULER_NAMES } from '../../main/contract/names';
import { clipVocab, fixture, readF32, relativeError, tempDir, tinyFolder, tinySingleFile } from './helpers';
import { expectWithin } from '../parity';

const REQUEST = {
  prompt: 'a red cube on a blue table',
  negative: 'Weird image. ',
  steps: 10,
  cfg: 7.5,
  seed: 11,
  scheduler: 'pndm' as const,
  width: 32,
  height: 32,
};

let pipe: SdPipeline;

beforeAll(async () => {
  pipe = await SdPipeline.open(tinyFolder, { vocab: clipVocab, workDir: tempDir('sd-pipe-') });
});
afterAll(async () => {
  await pipe.close();
});

describe('SD txt2img pipeline (sd-tiny)', () => {
  it('reproduces diffusers: latents and the decoded image', async () => {
    const steps: number[] = [];
    let total = 0;
    const previews: number[] = [];
    const result = await pipe.generate({
      ...REQUEST,
      onProgress: (e) => {
        steps.push(e.step);
        total = e.total;
      },
      onPreview: (p, step) => {
        expect(p.width).toBe(16);
        previews.push(step);
      },
    });
    const latentErr = relativeError(result.initialLatents, readF32('pipe_latents.f32'));
    const ref = readF32('pipe_image.f32');
    const unit = result.images[0]!.unit;
    let maxFloat = 0;
    let maxPng = 0;
    for (let i = 0; i < ref.length; i++) {
      maxFloat = Math.max(maxFloat, Math.abs(unit[i]! - ref[i]!));
      maxPng = Math.max(maxPng, Math.abs(result.images[0]!.image.data[i]! / 255 - ref[i]!));
    }
    console.log(`pipeline: image max |Δ| before uint8 rounding ${maxFloat.toExponential(2)}`);
    expectWithin('initial latents vs pipe_latents', latentErr, 1e-4);
    expectWithin('PNG image vs pipe_image, max |Δ|', maxPng, 1 / 255);
    // PNDM's PLMS schedule for 10 steps has 11 model calls (the first timestep twice), as in diffusers.
    expect(total).toBe(11);
    expect(steps).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    expect(previews).toHaveLength(total);
    expect(result.images[0]!.seed).toBe(11);
  });

  it('batch 2 draws image i from seed + i: image 0 equals the batch-1 run', async () => {
    const single = await pipe.generate({ ...REQUEST, steps: 2 });
    const pair = await pipe.generate({ ...REQUEST, steps: 2, batch: 2 });
    expect(pair.images.map((i) => i.seed)).toEqual([11, 12]);
    expectWithin(
      'batch image 0 vs the batch-1 image',
      relativeError(pair.images[0]!.unit, single.images[0]!.unit),
      1e-5,
    );
    expect(relativeError(pair.images[1]!.unit, single.images[0]!.unit)).toBeGreaterThan(1e-3);
  });

  it('long prompts are split into 77-token windows and still generate', async () => {
    const long = Array.from({ length: 40 }, (_, i) => `word${i} red`).join(' ');
    const result = await pipe.generate({ ...REQUEST, prompt: long, steps: 1 });
    expect(result.images).toHaveLength(1);
  });

  it('cancels between steps', async () => {
    const controller = new AbortController();
    const run = pipe.generate({
      ...REQUEST,
      signal: controller.signal,
      onProgress: (e) => e.step === 2 && controller.abort(),
    });
    await expect(run).rejects.toThrow(/abort|cancel/i);
  });

  it('rejects sizes that are not multiples of the scale factors', async () => {
    await expect(pipe.generate({ ...REQUEST, width: 30 })).rejects.toThrow(/multiple of 16/);
  });

  it('applies LoRA files as feeds: the UNet session stays the same object across LoRA changes', async () => {
    const before = (await pipe.unetSession(16, 16)).session;
    const plain = await pipe.generate({ ...REQUEST, steps: 2 });
    const file = fixture('lora-tiny-kohya.safetensors');
    const zero = await pipe.generate({ ...REQUEST, steps: 2, loras: [{ file, scale: 0 }] });
    const full = await pipe.generate({ ...REQUEST, steps: 2, loras: [{ file, scale: 1 }] });
    expect((await pipe.unetSession(16, 16)).session).toBe(before);
    expect(relativeError(zero.latents, plain.latents)).toBe(0);
    expect(relativeError(full.latents, plain.latents)).toBeGreaterThan(1e-3);
  });

  it.each(SCHEDULER_NAMES)('samples with %s (finite latents, 3 steps)', async (scheduler) => {
    const result = await pipe.generate({ ...REQUEST, scheduler, steps: 3 });
    expect(result.latents.every(Number.isFinite)).toBe(true);
    expect(relativeError(result.latents, result.initialLatents)).toBeGreaterThan(1e-3);
  });

  it('runs from the fp16 single-file checkpoint too (within ±1/255 of the fp32 reference image)', async () => {
    const single = await SdPipeline.open(tinySingleFile, {
      configDir: tinyFolder,
      vocab: clipVocab,
      workDir: tempDir('sd-single-'),
    });
    try {
      const result = await single.generate(REQUEST);
      const ref = readF32('pipe_image.f32');
      let worst = 0;
      for (let i = 0; i < ref.length; i++)
        worst = Math.max(worst, Math.abs(result.images[0]!.unit[i]! - ref[i]!));
      expectWithin('single-file (fp16 weights) image vs pipe_image, max |Δ|', worst, 1 / 255);
    } finally {
      await single.close();
    }
  });
});
