/**
 * torch's CPU `upsample_bicubic2d` on float32 tensors (align_corners=False, no antialias, A = −0.75), as
 * torchvision ≤ 0.16 `F.resize` runs it on tensors: per axis a float32 scale in/out, source index
 * scale·(i + 0.5) − 0.5, 4 clamped taps with Keys weights; for each of the 4 source rows a 4-tap horizontal sum,
 * then the vertical 4-tap sum of those, in float32.
 * Fitted to the torch 1.13 fixture (an FMA-compiled kernel): the 4-tap sums are fused multiply-adds in GCC's
 * contraction order — bit-exact wherever the weights are exact (300×700 → 96×224, scale 3.125). The source
 * index carries more than float32 precision (a float32 index is off by up to 3e-5 px near x = 500, which misses by
 * 9e-5 after normalising); with it in double and the weights from a float32 fraction, other sizes land within
 * 2.4e-6 of the fixture, not bit-exact.
 */

import { BoundedCache } from './bounded-cache';
import type { PixelBuffer } from './pil-bicubic';

const f32 = Math.fround;
const A = -0.75;

/** float32 fused multiply-add: a·b is exact in double for float32 inputs, so only the sum rounds. */
function fma32(a: number, b: number, c: number): number {
  return f32(a * b + c);
}

function cubicNear(x: number): number {
  // ((A + 2)·x − (A + 3))·x·x + 1
  return fma32(f32(fma32(A + 2, x, -(A + 3)) * x), x, 1);
}

function cubicFar(x: number): number {
  // ((A·x − 5A)·x + 8A)·x − 4A
  return fma32(fma32(fma32(A, x, -5 * A), x, 8 * A), x, -4 * A);
}

/**
 * v0·w0 + v1·w1 + v2·w2 + v3·w3 in float32 as GCC contracts it: the first product fused onto the second, then
 * each further product fused onto the running sum.
 */
function dot4(v0: number, v1: number, v2: number, v3: number, w: Float32Array): number {
  return fma32(v3, w[3]!, fma32(v2, w[2]!, fma32(v0, w[0]!, f32(v1 * w[1]!))));
}

export interface CubicTaps {
  readonly outSize: number;
  /** 4 clamped source indices per output position */
  readonly index: Int32Array;
  /** 4 float32 weights per output position */
  readonly weight: Float32Array;
}

const tapCache = new BoundedCache<CubicTaps>(64);

/** Source indices and weights of one axis, cached per size pair. */
export function torchCubicTaps(inSize: number, outSize: number): CubicTaps {
  return tapCache.getOrCreate(`${inSize}>${outSize}`, () => computeTaps(inSize, outSize));
}

function computeTaps(inSize: number, outSize: number): CubicTaps {
  const scale = f32(inSize / outSize);
  const index = new Int32Array(outSize * 4);
  const weight = new Float32Array(outSize * 4);
  for (let i = 0; i < outSize; i++) {
    const real = scale * (i + 0.5) - 0.5;
    const base = Math.floor(real);
    const t = f32(real - base);
    const u = f32(1 - t);
    weight[i * 4] = cubicFar(f32(t + 1));
    weight[i * 4 + 1] = cubicNear(t);
    weight[i * 4 + 2] = cubicNear(u);
    weight[i * 4 + 3] = cubicFar(f32(u + 1));
    for (let j = 0; j < 4; j++) index[i * 4 + j] = Math.min(Math.max(base - 1 + j, 0), inSize - 1);
  }
  return { outSize, index, weight };
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
  const wy = new Float32Array(4);
  const lines = new Float32Array(4);
  for (let oy = 0; oy < outHeight; oy++) {
    for (let i = 0; i < 4; i++) wy[i] = ys.weight[oy * 4 + i]!;
    for (let ox = 0; ox < outWidth; ox++) {
      for (let j = 0; j < 4; j++) {
        column[j] = xs.index[ox * 4 + j]! * channels;
        wx[j] = xs.weight[ox * 4 + j]!;
      }
      for (let c = 0; c < channels; c++) {
        for (let i = 0; i < 4; i++) {
          const row = ys.index[oy * 4 + i]! * width * channels + c;
          lines[i] = dot4(
            toFloat[data[row + column[0]!]!]!,
            toFloat[data[row + column[1]!]!]!,
            toFloat[data[row + column[2]!]!]!,
            toFloat[data[row + column[3]!]!]!,
            wx,
          );
        }
        const acc = dot4(lines[0]!, lines[1]!, lines[2]!, lines[3]!, wy);
        out[c * plane + oy * outWidth + ox] = acc;
      }
    }
  }
  return out;
}
