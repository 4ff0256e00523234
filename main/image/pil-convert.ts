/** Pillow's 8-bit mode conversions (libImaging/Convert.c) that change preprocessing results. */

/** MULDIV255: a·b/255 with Pillow's rounding. */
function mulDiv255(a: number, b: number): number {
  const t = a * b + 128;
  return ((t >> 8) + t) >> 8;
}

/** CMYK → RGB the way PIL converts (no colour management): v = (255 − k) − c·(255 − k)/255. */
export function cmykToRgb(cmyk: Uint8Array): Uint8Array {
  const pixels = cmyk.length / 4;
  const rgb = new Uint8Array(pixels * 3);
  for (let p = 0; p < pixels; p++) {
    const inverseK = 255 - cmyk[p * 4 + 3]!;
    for (let c = 0; c < 3; c++)
      rgb[p * 3 + c] = Math.max(0, inverseK - mulDiv255(cmyk[p * 4 + c]!, inverseK));
  }
  return rgb;
}

/** RGBA → RGBa (premultiplied), as Pillow does before resizing RGBA. */
export function premultiply(rgb: Uint8Array, alpha: Uint8Array): Uint8Array {
  const rgba = new Uint8Array(alpha.length * 4);
  for (let p = 0; p < alpha.length; p++) {
    const a = alpha[p]!;
    for (let c = 0; c < 3; c++) rgba[p * 4 + c] = mulDiv255(rgb[p * 3 + c]!, a);
    rgba[p * 4 + 3] = a;
  }
  return rgba;
}

/** RGBa → RGBA (integer division, clipped), keeping only the RGB channels as `convert('RGB')` then does. */
export function unpremultiplyToRgb(rgba: Uint8Array): Uint8Array {
  const pixels = rgba.length / 4;
  const rgb = new Uint8Array(pixels * 3);
  for (let p = 0; p < pixels; p++) {
    const a = rgba[p * 4 + 3]!;
    for (let c = 0; c < 3; c++) {
      const v = rgba[p * 4 + c]!;
      rgb[p * 3 + c] = a === 0 || a === 255 ? v : Math.min(255, Math.floor((255 * v) / a));
    }
  }
  return rgb;
}
