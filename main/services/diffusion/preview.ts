/**
 * Cheap step previews: a fixed linear map from the 4 SD latent channels to RGB (ComfyUI's SD1.5
 * `latent_rgb_factors`, its Latent2RGBPreviewer arithmetic), instead of a VAE decode.
 */

/** Rows per latent channel, columns R, G, B. */
export const SD15_LATENT_RGB_FACTORS: readonly (readonly [number, number, number])[] = [
  [0.3512, 0.2297, 0.3227],
  [0.325, 0.4974, 0.235],
  [-0.2829, 0.1762, 0.2721],
  [-0.212, -0.2616, -0.7177],
];

export interface RgbPreview {
  width: number;
  height: number;
  /** Row-major interleaved RGB, height × width × 3. */
  data: Uint8Array;
}

/**
 * Maps one latent [4, h, w] (or the first item of a [n, 4, h, w] batch) to an RGB image:
 * ((latent·factors + 1) / 2) clamped to [0, 1], × 255, truncated like torch's `.byte()`.
 */
export function latentToRgbPreview(latent: Float32Array, shape: readonly number[]): RgbPreview {
  const [channels, height, width] = shape.length === 4 ? shape.slice(1) : shape;
  if (
    shape.length < 3 ||
    shape.length > 4 ||
    channels !== SD15_LATENT_RGB_FACTORS.length ||
    !height ||
    !width
  ) {
    throw new Error(`latent preview expects [4, h, w] or [n, 4, h, w], got [${shape.join(', ')}]`);
  }
  const plane = height * width;
  if (latent.length < channels * plane)
    throw new Error(`latent has ${latent.length} values, shape needs ${channels * plane}`);
  const data = new Uint8Array(plane * 3);
  for (let p = 0; p < plane; p++) {
    for (let rgb = 0; rgb < 3; rgb++) {
      let value = 0;
      for (let c = 0; c < channels; c++) value += latent[c * plane + p]! * SD15_LATENT_RGB_FACTORS[c]![rgb]!;
      data[p * 3 + rgb] = Math.trunc(Math.min(Math.max((value + 1) / 2, 0), 1) * 255);
    }
  }
  return { width, height, data };
}
