/**
 * torch's CPU `upsample_bicubic2d` on float32 tensors (align_corners=False, no antialias, A = −0.75), as
 * torchvision ≤ 0.16 `F.resize` runs it on tensors: per axis a float32 scale in/out, source index
 * scale·(i + 0.5) − 0.5, 4 clamped taps with Keys weights; then for each of the 4 source rows a 4-tap horizontal
 * sum, then the vertical sum of those, in float32. Fitting the fixture (torch 1.13) showed its source index is
 * NOT rounded to float32 (a float32 index is off by up to 3e-5 px at x ≈ 500 and misses by 9e-5 after
 * normalising); evaluating index and weights in double from the float32 scale lands within 4e-6.
 */

import type { PixelBuffer } from './pil-bicubic';

const f32 = Math.fround;
const A = -0.75;

function cubicNear(x: number): number {
  return ((A + 2) * x - (A + 3)) * x * x + 1;
}

function cubicFar(x: number): number {
  return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A;
}

export interface CubicTaps {
  readonly outSize: number;
  /** 4 clamped source indices per output position */
  readonly index: Int32Array;
  /** 4 float32 weights per output position */
  readonly weight: Float32Array;
}

const tapCache = new Map<string, CubicTaps>();

export function torchCubicTaps(inSize: number, outSize: number): CubicTaps {
  const key = `${inSize}>${outSize}`;
  const cached = tapCache.get(key);
  if (cached) return cached;
  const scale = f32(inSize / outSize);
  const index = new Int32Array(outSize * 4);
  const weight = new Float32Array(outSize * 4);
  for (let i = 0; i < outSize; i++) {
    const real = scale * (i + 0.5) - 0.5;
    const base = Math.floor(real);
    const t = real - base;
    weight[i * 4] = cubicFar(t + 1);
    weight[i * 4 + 1] = cubicNear(t);
    weight[i * 4 + 2] = cubicNear(1 - t);
    weight[i * 4 + 3] = cubicFar(2 - t);
    for (let j = 0; j < 4; j++) index[i * 4 + j] = Math.min(Math.max(base - 1 + j, 0), inSize - 1);
  }
  const taps = { outSize, index, weight };
  tapCache.set(key, taps);
  return taps;
}

/**
 * `F.interpolate(x, size=(outHeight, outWidth), mode='bicubic', align_corners=False)` of x = ToTensor(image):
 * reads the interleaved uint8 pixels through `toFloat` (ToTensor's float32 v/255) on the fly, so large photos are
 * never expanded to a full float tensor. Returns planar float32 [channels, outHeight, outWidth].
 */
export function torchBicubicResize(
  src: PixelBuffer,
  toFloat: Float32Array,
  outWidth: number,
  outHeight: number,
): Float32Array {
  const { width, height, channels, data } = src;
  const xs = torchCubicTaps(width, outWidth);
  const ys = torchCubicTaps(height, outHeight);
  const out = new Float32Array(channels * outWidth * outHeight);
  const plane = outWidth * outHeight;
  const column = new Int32Array(4);
  const wx = new Float32Array(4);
  for (let oy = 0; oy < outHeight; oy++) {
    for (let ox = 0; ox < outWidth; ox++) {
      for (let j = 0; j < 4; j++) {
        column[j] = xs.index[ox * 4 + j]! * channels;
        wx[j] = xs.weight[ox * 4 + j]!;
      }
      for (let c = 0; c < channels; c++) {
        let acc = 0;
        for (let i = 0; i < 4; i++) {
          const row = ys.index[oy * 4 + i]! * width * channels + c;
          let line = f32(toFloat[data[row + column[0]!]!]! * wx[0]!);
          line = f32(line + f32(toFloat[data[row + column[1]!]!]! * wx[1]!));
          line = f32(line + f32(toFloat[data[row + column[2]!]!]! * wx[2]!));
          line = f32(line + f32(toFloat[data[row + column[3]!]!]! * wx[3]!));
          const term = f32(line * ys.weight[oy * 4 + i]!);
          acc = i === 0 ? term : f32(acc + term);
        }
        out[c * plane + oy * outWidth + ox] = acc;
      }
    }
  }
  return out;
}
