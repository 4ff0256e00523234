import type { PixelBuffer } from './pil-bicubic';

/**
 * Pillow's `Image.resize` on palette ("P") and bilevel ("1") images: it forces NEAREST, which runs as an affine scale
 * (Geometry.c ImagingScaleAffine): source coordinate = trunc(scale·0.5 + k·scale), accumulated by repeated double
 * additions exactly as Pillow steps through the rows and columns.
 */
export function pillowNearestResize(src: PixelBuffer, outWidth: number, outHeight: number): PixelBuffer {
  if (outWidth === src.width && outHeight === src.height) return src;
  const { channels, width, data } = src;
  const columns = steppedCoordinates(src.width / outWidth, outWidth, src.width);
  const rows = steppedCoordinates(src.height / outHeight, outHeight, src.height);
  const out = new Uint8Array(outWidth * outHeight * channels);
  for (let y = 0; y < outHeight; y++) {
    const rowStart = rows[y]! * width * channels;
    for (let x = 0; x < outWidth; x++) {
      const from = rowStart + columns[x]! * channels;
      const to = (y * outWidth + x) * channels;
      for (let c = 0; c < channels; c++) out[to + c] = data[from + c]!;
    }
  }
  return { width: outWidth, height: outHeight, channels, data: out };
}

function steppedCoordinates(step: number, count: number, limit: number): Int32Array {
  const coordinates = new Int32Array(count);
  let position = step * 0.5;
  for (let i = 0; i < count; i++) {
    // Positions stay inside [0, limit) for a full-image box; the clamp only guards rounding at the far edge.
    coordinates[i] = Math.min(Math.trunc(position), limit - 1);
    position += step;
  }
  return coordinates;
}
