import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  CLIP_MEAN,
  CLIP_STD,
  decodeImage,
  IMAGE_SIZE,
  longSideSize,
  preprocessImage,
  shortSideSize,
  stackPixels,
  type DecodedImage,
} from '../../main/image';
import { roundHalfEven } from '../../main/common/round';
import { expectWithin } from '../parity';

const clipDir = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../shared/fixtures/clip');
const PLANE = IMAGE_SIZE * IMAGE_SIZE;
const PER_IMAGE = 3 * PLANE;

async function readFloat32(path: string): Promise<Float32Array> {
  const buffer = await readFile(path);
  return new Float32Array(buffer.buffer, buffer.byteOffset, buffer.byteLength / 4);
}

let images: string[];
let decoded: DecodedImage[];
let v1: Float32Array;
let v2: Float32Array;

beforeAll(async () => {
  images = (JSON.parse(await readFile(join(clipDir, 'manifest.json'), 'utf8')) as { images: string[] })
    .images;
  decoded = await Promise.all(images.map((name) => decodeImage(join(clipDir, name))));
  v1 = await readFloat32(join(clipDir, 'v1_pixels.f32'));
  v2 = await readFloat32(join(clipDir, 'v2_pixels.f32'));
});

describe('HPS v1 / OpenAI CLIP preprocessing (PIL bicubic, uint8) vs v1_pixels', () => {
  it('every fixture image: exact up to an off-by-one uint8 level on at most 0.5% of values', () => {
    const oneLevel = Math.max(...CLIP_STD.map((s) => 1 / (255 * s)));
    let worst = 0;
    decoded.forEach((image, i) => {
      const { data, width, height } = preprocessImage(image, 'openai');
      expect([width, height]).toEqual([IMAGE_SIZE, IMAGE_SIZE]);
      let maxAbs = 0;
      let offByOne = 0;
      for (let k = 0; k < PER_IMAGE; k++) {
        const diff = Math.abs(data[k]! - v1[i * PER_IMAGE + k]!);
        maxAbs = Math.max(maxAbs, diff);
        if (diff > 0) offByOne++;
      }
      expectWithin(`v1 ${images[i]}: max |Δ| (one uint8 level)`, maxAbs, oneLevel * 1.0001);
      expectWithin(`v1 ${images[i]}: values off by one level`, offByOne, 0.005 * PER_IMAGE);
      worst = Math.max(worst, maxAbs);
    });
    expectWithin('v1 worst image: max |Δ|', worst, oneLevel * 1.0001);
  });

  it('PickScore crops with floor: 517×333 → 347×224, offset 61 (not round-half-even 62)', () => {
    const index = images.indexOf('img3_rgb_517x333.png');
    expect(shortSideSize(517, 333)).toEqual([347, 224]);
    const pick = preprocessImage(decoded[index]!, 'pickscore').data;
    const reference = v1.subarray(index * PER_IMAGE, (index + 1) * PER_IMAGE);
    let maxAbs = 0;
    for (let c = 0; c < 3; c++) {
      for (let y = 0; y < IMAGE_SIZE; y++) {
        for (let x = 0; x + 1 < IMAGE_SIZE; x++) {
          const k = c * PLANE + y * IMAGE_SIZE;
          maxAbs = Math.max(maxAbs, Math.abs(pick[k + x + 1]! - reference[k + x]!));
        }
      }
    }
    // Same resized pixels one column over; HF's ×(1/255) rescale may differ from /255 by one float32 ulp.
    expectWithin('PickScore crop vs HF processor, one column over', maxAbs, 1e-6);
  });
});

describe('HPS v2 preprocessing (float tensor, torch bicubic, letterbox) vs v2_pixels', () => {
  it('every fixture image within 5e-4 max abs after normalising', () => {
    decoded.forEach((image, i) => {
      const { data, width, height } = preprocessImage(image, 'hpsv2');
      expect([width, height]).toEqual([IMAGE_SIZE, IMAGE_SIZE]);
      let maxAbs = 0;
      let inexact = 0;
      for (let k = 0; k < PER_IMAGE; k++) {
        const diff = Math.abs(data[k]! - v2[i * PER_IMAGE + k]!);
        maxAbs = Math.max(maxAbs, diff);
        if (diff > 0) inexact++;
      }
      console.log(`v2 ${images[i]}: values not bit-exact ${inexact}`);
      expectWithin(`v2 ${images[i]}: max |Δ|`, maxAbs, 5e-4);
    });
  });

  it('letterbox geometry: 300×700 → 96×224 centred with black bars [64, 64]', () => {
    expect(longSideSize(300, 700)).toEqual([96, 224]);
    const index = images.indexOf('img2_rgb_300x700.png');
    const { data } = preprocessImage(decoded[index]!, 'hpsv2');
    const black = data[0]!;
    expect(data[63]).toBe(black);
    expect(data[64 + 96]).toBe(black);
    expect(data[IMAGE_SIZE - 1]).toBe(black);
    expect(data[100 * IMAGE_SIZE + 64]).not.toBe(black);
  });

  it('reproduces the reference quirk: longest side already 224 → no resize and no padding', () => {
    const image: DecodedImage = { width: 224, height: 150, rgb: new Uint8Array(224 * 150 * 3).fill(200) };
    const quirk = preprocessImage(image, 'hpsv2');
    expect([quirk.width, quirk.height]).toEqual([224, 150]);
    expect(() => stackPixels([quirk], ['wide.png'])).toThrow(/wide\.png: preprocessed to 224×150/);
    const padded = preprocessImage(image, 'hpsv2', { letterboxUnscaled: true });
    expect([padded.width, padded.height]).toEqual([224, 224]);
    expect(padded.data[0]).not.toBe(padded.data[112 * IMAGE_SIZE]);
  });
});

describe('geometry helpers', () => {
  it("Python round-half-even and torchvision's int(size·long/short)", () => {
    expect([0.5, 1.5, 2.5, 61.5, -1.5, 2.4999].map(roundHalfEven)).toEqual([0, 2, 2, 62, -2, 2]);
    expect(shortSideSize(768, 512)).toEqual([336, 224]);
    expect(shortSideSize(300, 700)).toEqual([224, 522]);
    expect(longSideSize(517, 333)).toEqual([224, 144]);
  });

  it('stacks [n, 3, 224, 224] batches', () => {
    const a = preprocessImage(decoded[0]!, 'openai');
    const b = preprocessImage(decoded[1]!, 'openai');
    const batch = stackPixels([a, b]);
    expect(batch.length).toBe(2 * PER_IMAGE);
    expect(batch.subarray(PER_IMAGE).every((v, i) => v === b.data[i])).toBe(true);
    expect(batch.subarray(0, PER_IMAGE).every((v, i) => v === a.data[i])).toBe(true);
  });
});

describe('PIL mode effects in the OpenAI transform', () => {
  const f32 = Math.fround;
  const normalised = (v: number, c: number) =>
    f32(f32(f32(v / 255) - f32(CLIP_MEAN[c]!)) / f32(CLIP_STD[c]!));
  const allEqual = (data: Float32Array, plane: number, value: number) =>
    data.subarray(plane * PLANE, (plane + 1) * PLANE).every((v) => v === value);

  it('palette images resize with NEAREST (PIL forces it for mode "P"); PickScore converts to RGB first', async () => {
    // 448×448 one-pixel checkerboard: a 2× nearest reduction samples (2k+1, 2j+1), all black; bicubic blurs to grey.
    const size = 448;
    const pixels = Buffer.alloc(size * size * 3);
    for (let y = 0; y < size; y++)
      for (let x = 0; x < size; x++)
        pixels.fill((x + y) % 2 ? 255 : 0, (y * size + x) * 3, (y * size + x + 1) * 3);
    const file = join(tmpdir(), `palette-${process.pid}.png`);
    await sharp(pixels, { raw: { width: size, height: size, channels: 3 } })
      .png({ palette: true, colours: 2, dither: 0 })
      .toFile(file);
    try {
      const image = await decodeImage(file);
      expect(image.nearestInPil).toBe(true);
      const openai = preprocessImage(image, 'openai').data;
      for (let c = 0; c < 3; c++) expect(allEqual(openai, c, normalised(0, c))).toBe(true);
      const pick = preprocessImage(image, 'pickscore').data;
      expect(pick[0]).toBeGreaterThan(normalised(60, 0));
    } finally {
      await rm(file, { force: true });
    }
  });

  it('RGBA resizes premultiplied for OpenAI (200 at alpha 128 comes back as 199) but not for PickScore', () => {
    const size = 448;
    const image: DecodedImage = {
      width: size,
      height: size,
      rgb: new Uint8Array(size * size * 3).fill(200),
      alpha: new Uint8Array(size * size).fill(128),
    };
    // MULDIV255(200, 128) = 100; 255·100 / 128 = 199.2 → 199.
    const openai = preprocessImage(image, 'openai').data;
    for (let c = 0; c < 3; c++) expect(allEqual(openai, c, normalised(199, c))).toBe(true);
    const pick = preprocessImage(image, 'pickscore').data;
    const pickValue = (c: number) => f32(f32(f32(200 * (1 / 255)) - f32(CLIP_MEAN[c]!)) / f32(CLIP_STD[c]!));
    for (let c = 0; c < 3; c++) expect(allEqual(pick, c, pickValue(c))).toBe(true);
  });
});
