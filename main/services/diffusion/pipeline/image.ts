// VAE output → images, as diffusers' VaeImageProcessor: (x / 2 + 0.5).clamp(0, 1) in float32, NHWC, then
// numpy_to_pil's (images · 255).round() (numpy rounds halves to even) to uint8; PNG via sharp.
import sharp from 'sharp';
import { roundHalfEven } from '../../../common/round';

export interface RgbImage {
  width: number;
  height: number;
  /** Row-major interleaved RGB, height × width × 3. */
  data: Uint8Array;
}

const f32 = Math.fround;

/** One decoded image [3, H, W] in [−1, 1] → NHWC float in [0, 1]. */
export function decodedToUnit(decoded: Float32Array, height: number, width: number): Float32Array {
  const plane = height * width;
  const out = new Float32Array(plane * 3);
  for (let c = 0; c < 3; c++)
    for (let p = 0; p < plane; p++)
      out[p * 3 + c] = Math.min(Math.max(f32(f32(decoded[c * plane + p]! / 2) + 0.5), 0), 1);
  return out;
}

export function unitToRgb(unit: Float32Array, height: number, width: number): RgbImage {
  return { width, height, data: Uint8Array.from(unit, (v) => roundHalfEven(f32(v * 255))) };
}

function png(image: RgbImage) {
  const bytes = Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength);
  return sharp(bytes, { raw: { width: image.width, height: image.height, channels: 3 } }).png();
}

export async function writePng(image: RgbImage, file: string): Promise<void> {
  await png(image).toFile(file);
}

export function encodePng(image: RgbImage): Promise<Buffer> {
  return png(image).toBuffer();
}
