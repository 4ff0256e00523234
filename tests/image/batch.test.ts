import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImage, IMAGE_SIZE, prepareBatch, preprocessImage } from '../../main/image';

const clipDir = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../shared/fixtures/clip');
const PER_IMAGE = 3 * IMAGE_SIZE * IMAGE_SIZE;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'batch-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('prepareBatch', () => {
  it('keeps input order, reports a corrupt file in the middle and still prepares the rest', async () => {
    const corrupt = join(dir, 'corrupt.jpg');
    await writeFile(corrupt, Buffer.from('not a jpeg at all'));
    const paths = [
      join(clipDir, 'img3_rgb_517x333.png'),
      corrupt,
      join(clipDir, 'img_rgb.webp'),
      join(clipDir, 'img_gray.png'),
    ];
    const batch = await prepareBatch(paths, 'openai', { concurrency: 3 });
    expect(batch.images).toEqual([paths[0], paths[2], paths[3]]);
    expect(batch.failures).toHaveLength(1);
    expect(batch.failures[0]!.image).toBe(corrupt);
    expect(batch.failures[0]!.error).toContain(corrupt);
    expect(batch.pixels.length).toBe(3 * PER_IMAGE);
    for (const [slot, path] of batch.images.entries()) {
      const single = preprocessImage(await decodeImage(path), 'openai').data;
      const stacked = batch.pixels.subarray(slot * PER_IMAGE, (slot + 1) * PER_IMAGE);
      expect(stacked.every((v, i) => v === single[i])).toBe(true);
    }
  });

  it('reports HPS v2 reference-shaped (unpadded) images as failures unless letterboxed', async () => {
    const wide = join(dir, 'wide.png');
    await sharp({ create: { width: 224, height: 150, channels: 3, background: '#808080' } })
      .png()
      .toFile(wide);
    const strict = await prepareBatch([wide], 'hpsv2');
    expect(strict.images).toEqual([]);
    expect(strict.failures[0]!.error).toMatch(/wide\.png: preprocessed to 224×150/);
    const padded = await prepareBatch([wide], 'hpsv2', { letterboxUnscaled: true });
    expect(padded.images).toEqual([wide]);
    expect(padded.pixels.length).toBe(PER_IMAGE);
  });
});
