import { BoundedCache } from './bounded-cache';

/**
 * Pillow's 8-bit bicubic resampling (libImaging/Resample.c), reimplemented for bit-exact parity with
 * `Image.resize(size, Image.BICUBIC)` as torchvision's Resize calls it on PIL images (no box, no reducing_gap).
 * Two separable passes (horizontal first, only over the rows the vertical pass reads), each rounding to uint8
 * with Pillow's fixed-point arithmetic. The filter's support widens by the reduction factor (antialiasing).
 */

const PRECISION_BITS = 32 - 8 - 2;
const HALF = 1 << (PRECISION_BITS - 1);
const ONE = 1 << PRECISION_BITS;
const SUPPORT = 2;

/** Pillow's bicubic kernel, a = −0.5. */
function bicubicKernel(x: number): number {
  const a = -0.5;
  const t = x < 0 ? -x : x;
  if (t < 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
  if (t < 2) return (((t - 5) * t + 8) * t - 4) * a;
  return 0;
}

/** Per-output-pixel source window [first, count] and fixed-point weights (ksize slots each). */
export interface ResampleCoefficients {
  readonly outSize: number;
  readonly ksize: number;
  readonly first: Int32Array;
  readonly count: Int32Array;
  readonly weights: Int32Array;
}

const coefficientCache = new BoundedCache<ResampleCoefficients>(64);

/** precompute_coeffs + normalize_coeffs_8bpc for the full-image box [0, inSize), cached per size pair. */
export function pillowCoefficients(inSize: number, outSize: number): ResampleCoefficients {
  return coefficientCache.getOrCreate(`${inSize}>${outSize}`, () => computeCoefficients(inSize, outSize));
}

function computeCoefficients(inSize: number, outSize: number): ResampleCoefficients {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = SUPPORT * filterScale;
  const ksize = Math.ceil(support) * 2 + 1;
  const first = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Int32Array(outSize * ksize);
  const raw = new Float64Array(ksize);
  const inverseScale = 1 / filterScale;
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    // C's (int) truncation of non-negative/negative values as Pillow does it.
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const xmax = Math.min(Math.trunc(center + support + 0.5), inSize) - xmin;
    let total = 0;
    for (let x = 0; x < xmax; x++) {
      const w = bicubicKernel((x + xmin - center + 0.5) * inverseScale);
      raw[x] = w;
      total += w;
    }
    for (let x = 0; x < xmax; x++) {
      const w = total !== 0 ? raw[x]! / total : raw[x]!;
      weights[xx * ksize + x] = w < 0 ? Math.trunc(-0.5 + w * ONE) : Math.trunc(0.5 + w * ONE);
    }
    first[xx] = xmin;
    count[xx] = xmax;
  }
  return { outSize, ksize, first, count, weights };
}

function clip8(sum: number): number {
  if (sum >= ONE * 256) return 255;
  if (sum <= 0) return 0;
  return sum >> PRECISION_BITS;
}

/** Interleaved uint8 image, `channels` values per pixel. */
export interface PixelBuffer {
  readonly width: number;
  readonly height: number;
  readonly channels: number;
  readonly data: Uint8Array;
}

function resampleHorizontal(
  src: PixelBuffer,
  rowOffset: number,
  rows: number,
  c: ResampleCoefficients,
): PixelBuffer {
  const { channels, width: inWidth, data } = src;
  const outWidth = c.outSize;
  const out = new Uint8Array(outWidth * rows * channels);
  const { first, count, weights, ksize } = c;
  const sums = new Float64Array(channels);
  for (let y = 0; y < rows; y++) {
    const rowStart = (y + rowOffset) * inWidth * channels;
    const outRow = y * outWidth * channels;
    for (let xx = 0; xx < outWidth; xx++) {
      const k0 = xx * ksize;
      const n = count[xx]!;
      let p = rowStart + first[xx]! * channels;
      if (channels === 3) {
        // The common case unrolled: one pass over the taps for all three channels.
        let s0 = HALF;
        let s1 = HALF;
        let s2 = HALF;
        for (let x = 0; x < n; x++, p += 3) {
          const w = weights[k0 + x]!;
          s0 = (s0 + Math.imul(data[p]!, w)) | 0;
          s1 = (s1 + Math.imul(data[p + 1]!, w)) | 0;
          s2 = (s2 + Math.imul(data[p + 2]!, w)) | 0;
        }
        const o = outRow + xx * 3;
        out[o] = clip8(s0);
        out[o + 1] = clip8(s1);
        out[o + 2] = clip8(s2);
      } else {
        sums.fill(HALF);
        for (let x = 0; x < n; x++, p += channels) {
          const w = weights[k0 + x]!;
          for (let ch = 0; ch < channels; ch++) sums[ch] += data[p + ch]! * w;
        }
        for (let ch = 0; ch < channels; ch++) out[outRow + xx * channels + ch] = clip8(sums[ch]!);
      }
    }
  }
  return { width: outWidth, height: rows, channels, data: out };
}

function resampleVertical(src: PixelBuffer, c: ResampleCoefficients, rowShift: number): PixelBuffer {
  const { channels, width, data } = src;
  const stride = width * channels;
  const outHeight = c.outSize;
  const out = new Uint8Array(stride * outHeight);
  const { first, count, weights, ksize } = c;
  // Whole source rows are accumulated at once (row-major, cache friendly), in int32 like Pillow's INT32 sums.
  const sums = new Int32Array(stride);
  for (let yy = 0; yy < outHeight; yy++) {
    sums.fill(HALF);
    const k0 = yy * ksize;
    const n = count[yy]!;
    const base = (first[yy]! - rowShift) * stride;
    for (let y = 0; y < n; y++) {
      const w = weights[k0 + y]!;
      const row = base + y * stride;
      for (let i = 0; i < stride; i++) sums[i] = (sums[i]! + Math.imul(data[row + i]!, w)) | 0;
    }
    const outRow = yy * stride;
    for (let i = 0; i < stride; i++) out[outRow + i] = clip8(sums[i]!);
  }
  return { width, height: outHeight, channels, data: out };
}

/** `Image.resize((outWidth, outHeight), Image.BICUBIC)` on an 8-bit image (each channel independently). */
export function pillowBicubicResize(src: PixelBuffer, outWidth: number, outHeight: number): PixelBuffer {
  if (outWidth === src.width && outHeight === src.height) return src;
  const horizontal = pillowCoefficients(src.width, outWidth);
  const vertical = pillowCoefficients(src.height, outHeight);
  const needHorizontal = outWidth !== src.width;
  const needVertical = outHeight !== src.height;
  let image = src;
  let rowShift = 0;
  if (needHorizontal) {
    // Only the source rows the vertical pass will read (ybox_first .. ybox_last).
    const firstRow = needVertical ? vertical.first[0]! : 0;
    const lastRow = needVertical
      ? vertical.first[outHeight - 1]! + vertical.count[outHeight - 1]!
      : src.height;
    image = resampleHorizontal(src, firstRow, lastRow - firstRow, horizontal);
    rowShift = firstRow;
  }
  if (needVertical) image = resampleVertical(image, vertical, rowShift);
  return image;
}
