import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { crc32, deflateSync } from 'node:zlib';
import { join } from 'node:path';
import sharp, { type Sharp } from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CLIP_MEAN,
  CLIP_STD,
  decodeImage,
  ImageDecodeError,
  pillowBicubicResize,
  preprocessImage,
  type DecodedImage,
} from '../../main/image';
import { expectWithin } from '../parity';

const WIDTH = 48;
const HEIGHT = 32;

/** A smooth RGB gradient, so lossy codecs stay close to it. */
function gradient(): Buffer {
  const data = Buffer.alloc(WIDTH * HEIGHT * 3);
  for (let y = 0; y < HEIGHT; y++) {
    for (let x = 0; x < WIDTH; x++) {
      const p = (y * WIDTH + x) * 3;
      data[p] = Math.round((x / (WIDTH - 1)) * 255);
      data[p + 1] = Math.round((y / (HEIGHT - 1)) * 255);
      data[p + 2] = 128;
    }
  }
  return data;
}

const source = gradient();

/** PIL's cmyk2rgb, written out independently: nk = 255 − k; v = nk − MULDIV255(c, nk). */
function pilCmykToRgb(cmyk: Uint8Array): Uint8Array {
  const rgb = new Uint8Array((cmyk.length / 4) * 3);
  for (let p = 0; p < cmyk.length / 4; p++) {
    const nk = 255 - cmyk[p * 4 + 3]!;
    for (let c = 0; c < 3; c++) {
      const t = cmyk[p * 4 + c]! * nk + 128;
      rgb[p * 3 + c] = Math.max(0, nk - (((t >> 8) + t) >> 8));
    }
  }
  return rgb;
}

/** A PNG written by hand (sharp writes neither 8 → 16-bit scaled samples nor 1-bit grayscale). */
function pngFile(
  width: number,
  height: number,
  bitDepth: number,
  colourType: number,
  rows: Buffer[],
): Buffer {
  const chunk = (type: string, body: Buffer) => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(body.length, 0);
    head.write(type, 4, 'ascii');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), body])), 0);
    return Buffer.concat([head, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([bitDepth, colourType, 0, 0, 0], 8);
  const filtered = Buffer.concat(rows.map((row) => Buffer.concat([Buffer.alloc(1), row])));
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const body = [chunk('IHDR', header), chunk('IDAT', deflateSync(filtered)), chunk('IEND', Buffer.alloc(0))];
  return Buffer.concat([signature, ...body]);
}

/** 16-bit RGB: sample v → high byte v, a varying low byte. */
function png16(rgb: Buffer, width: number, height: number): Buffer {
  const rows = Array.from({ length: height }, (_, y) => {
    const row = Buffer.alloc(width * 6);
    for (let i = 0; i < width * 3; i++) row.writeUInt16BE(rgb[y * width * 3 + i]! * 256 + (0xd5 ^ i), i * 2);
    return row;
  });
  return pngFile(width, height, 16, 2, rows);
}

const raw = { raw: { width: WIDTH, height: HEIGHT, channels: 3 as const } };
let dir: string;

function meanAbsDiff(image: DecodedImage, reference: Buffer): number {
  let total = 0;
  for (let i = 0; i < reference.length; i++) total += Math.abs(image.rgb[i]! - reference[i]!);
  return total / reference.length;
}

/** Pearson correlation of one RGB channel of the image with the same channel of the reference. */
function channelCorrelation(image: DecodedImage, reference: Buffer, channel: number): number {
  const a = Array.from({ length: reference.length / 3 }, (_, p) => image.rgb[p * 3 + channel]!);
  const b = Array.from({ length: reference.length / 3 }, (_, p) => reference[p * 3 + channel]!);
  const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
  const [ma, mb] = [mean(a), mean(b)];
  let cross = 0;
  let va = 0;
  let vb = 0;
  a.forEach((x, i) => {
    cross += (x - ma) * (b[i]! - mb);
    va += (x - ma) ** 2;
    vb += (b[i]! - mb) ** 2;
  });
  return cross / Math.sqrt(va * vb);
}

function expectSaneRgb(image: DecodedImage, width = WIDTH, height = HEIGHT): void {
  expect([image.width, image.height]).toEqual([width, height]);
  expect(image.rgb).toBeInstanceOf(Uint8Array);
  expect(image.rgb.length).toBe(width * height * 3);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'decode-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('decodeImage formats', () => {
  it.each([
    ['png', (s: Sharp) => s.png(), 0],
    ['webp lossless', (s: Sharp) => s.webp({ lossless: true }), 0],
    ['tiff', (s: Sharp) => s.tiff({ compression: 'lzw' }), 0],
    ['avif', (s: Sharp) => s.avif({ quality: 90 }), 6],
    ['jpeg', (s: Sharp) => s.jpeg({ quality: 95 }), 4],
    ['gif', (s: Sharp) => s.gif(), 12],
  ] as const)('%s decodes to 8-bit RGB close to the source', async (name, encode, tolerance) => {
    const file = join(dir, `image.${name.split(' ')[0]}`);
    await writeFile(file, await encode(sharp(source, raw)).toBuffer());
    const image = await decodeImage(file);
    expectSaneRgb(image);
    expect(image.alpha).toBeUndefined();
    expectWithin(`${name} decode vs source, mean |Δ|`, meanAbsDiff(image, source), tolerance);
  });

  it('GIF: first frame of an animation', async () => {
    const frames = Buffer.concat([
      Buffer.alloc(WIDTH * HEIGHT * 3, 10),
      Buffer.alloc(WIDTH * HEIGHT * 3, 240),
    ]);
    const file = join(dir, 'anim.gif');
    await sharp(frames, { raw: { width: WIDTH, height: HEIGHT * 2, channels: 3, pageHeight: HEIGHT } })
      .gif()
      .toFile(file);
    const image = await decodeImage(file);
    expectSaneRgb(image);
    expect(Math.max(...image.rgb)).toBeLessThan(40);
  });

  it('16-bit PNG is reduced to 8 bits (high byte, as PIL), not clipped', async () => {
    const file = join(dir, 'deep.png');
    await writeFile(file, png16(source, WIDTH, HEIGHT));
    expect((await sharp(file).metadata()).depth).toBe('ushort');
    const image = await decodeImage(file);
    expectSaneRgb(image);
    expect(image.rgb).toEqual(new Uint8Array(source));
  });

  it('1-bit grayscale PNG decodes to black and white and is flagged for PIL NEAREST resizing (mode "1")', async () => {
    const file = join(dir, 'bilevel.png');
    // Columns alternate black/white: each row byte 0b01010101.
    const rows = Array.from({ length: HEIGHT }, () => Buffer.alloc(WIDTH / 8, 0x55));
    await writeFile(file, pngFile(WIDTH, HEIGHT, 1, 0, rows));
    const image = await decodeImage(file);
    expectSaneRgb(image);
    expect(image.nearestInPil).toBe(true);
    expect([image.rgb[0], image.rgb[3], image.rgb[6]]).toEqual([0, 255, 0]);
  });

  it('grayscale is replicated to three equal channels', async () => {
    const file = join(dir, 'gray.png');
    await sharp(source, raw).grayscale().png().toFile(file);
    const image = await decodeImage(file);
    expectSaneRgb(image);
    for (let p = 0; p < WIDTH * HEIGHT; p++) {
      expect(image.rgb[p * 3 + 1]).toBe(image.rgb[p * 3]);
      expect(image.rgb[p * 3 + 2]).toBe(image.rgb[p * 3]);
    }
  });

  it("CMYK JPEG keeps its CMYK samples and converts with PIL's formula, not colour management", async () => {
    const file = join(dir, 'cmyk.jpg');
    await sharp(source, raw).toColourspace('cmyk').jpeg({ quality: 95 }).toFile(file);
    expect((await sharp(file).metadata()).space).toBe('cmyk');
    const image = await decodeImage(file);
    expectSaneRgb(image);
    expect(image.cmyk!.length).toBe(WIDTH * HEIGHT * 4);
    expect(image.rgb).toEqual(pilCmykToRgb(image.cmyk!));
    // PIL's formula does not undo sharp's colour-managed RGB → CMYK, so the colours shift (mean |Δ| ≈ 34 levels)
    // but the picture stays: red still follows x and green y. An inverted or reordered CMYK decode would not.
    for (const [channel, name] of [
      [0, 'red'],
      [1, 'green'],
    ] as const)
      expectWithin(
        `CMYK JPEG ${name} vs source, 1 − correlation`,
        1 - channelCorrelation(image, source, channel),
        0.5,
      );
  });

  it('OpenAI transform resizes CMYK as four channels, then converts (PIL order)', () => {
    const size = 448;
    const cmyk = new Uint8Array(size * size * 4);
    for (let p = 0; p < size * size; p++) cmyk.set(p % 2 ? [0, 0, 0, 0] : [200, 100, 0, 255], p * 4);
    const image: DecodedImage = { width: size, height: size, rgb: pilCmykToRgb(cmyk), cmyk };
    const resized = pillowBicubicResize({ width: size, height: size, channels: 4, data: cmyk }, 224, 224);
    const expected = pilCmykToRgb(resized.data);
    const actual = preprocessImage(image, 'openai').data;
    const f32 = Math.fround;
    for (const p of [0, 1, 2, 224 * 224 - 1]) {
      const value = f32(f32(f32(expected[p * 3]! / 255) - f32(CLIP_MEAN[0]!)) / f32(CLIP_STD[0]!));
      expect(actual[p]).toBe(value);
    }
    // Converting first would average white and black stripes instead.
    const convertedFirst = preprocessImage({ width: size, height: size, rgb: image.rgb }, 'openai').data;
    expect(convertedFirst[0]).not.toBe(actual[0]);
  });

  it('alpha is returned separately, never composited; opaque RGBA preprocesses like RGB', async () => {
    const rgba = Buffer.alloc(WIDTH * HEIGHT * 4);
    for (let p = 0; p < WIDTH * HEIGHT; p++) {
      source.copy(rgba, p * 4, p * 3, p * 3 + 3);
      rgba[p * 4 + 3] = 255;
    }
    const file = join(dir, 'rgba.png');
    await sharp(rgba, { raw: { width: WIDTH, height: HEIGHT, channels: 4 } })
      .png()
      .toFile(file);
    const image = await decodeImage(file);
    expectSaneRgb(image);
    expect(image.alpha?.every((a) => a === 255)).toBe(true);
    expect(image.rgb).toEqual(new Uint8Array(source));
    const withoutAlpha: DecodedImage = { width: WIDTH, height: HEIGHT, rgb: image.rgb };
    const [a, b] = [preprocessImage(image, 'openai').data, preprocessImage(withoutAlpha, 'openai').data];
    expect(a.every((v, i) => v === b[i])).toBe(true);
  });

  it('EXIF orientation is NOT applied (PIL Image.open does not)', async () => {
    const file = join(dir, 'rotated.jpg');
    await sharp(source, raw).jpeg().withMetadata({ orientation: 6 }).toFile(file);
    expect((await sharp(file).metadata()).orientation).toBe(6);
    expectSaneRgb(await decodeImage(file));
  });
});

describe('decodeImage errors', () => {
  it('a corrupt file gives an ImageDecodeError naming the file', async () => {
    const file = join(dir, 'corrupt.png');
    const png = await sharp(source, raw).png().toBuffer();
    await writeFile(file, png.subarray(0, 60));
    const error = await decodeImage(file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImageDecodeError);
    expect((error as Error).message).toContain(file);
  });

  it('a non-image and a missing file say so', async () => {
    const text = join(dir, 'notes.png');
    await writeFile(text, 'definitely not an image');
    await expect(decodeImage(text)).rejects.toThrow(
      new RegExp(`Cannot read image ${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`),
    );
    await expect(decodeImage(join(dir, 'missing.png'))).rejects.toThrow(/missing\.png: file not found/);
  });
});
