import { basename } from 'node:path';
import sharp, { type Metadata, type OutputInfo, type Sharp, type SharpOptions } from 'sharp';
import { cmykToRgb } from './pil-convert';

/** Decoded 8-bit sRGB image: interleaved RGB plus the alpha plane when the file has one. */
export interface DecodedImage {
  readonly width: number;
  readonly height: number;
  /** RGB, 3 bytes per pixel, row-major */
  readonly rgb: Uint8Array;
  /** straight (non-premultiplied) alpha, 1 byte per pixel */
  readonly alpha?: Uint8Array;
  /** PIL opens the file in mode "P" (palette PNG, GIF) or "1" (1-bit PNG), and PIL resizes those with NEAREST */
  readonly nearestInPil?: boolean;
  /** the file's CMYK samples (4 bytes per pixel) when it is CMYK: PIL resizes those before converting */
  readonly cmyk?: Uint8Array;
}

const SHARP_OPTIONS: SharpOptions = {
  autoOrient: false,
  ignoreIcc: true,
  failOn: 'error',
  pages: 1,
  page: 0,
  limitInputPixels: 1 << 28,
};

export class ImageDecodeError extends Error {
  constructor(
    readonly source: string,
    reason: string,
  ) {
    super(`Cannot read image ${source}: ${reason}`);
    this.name = 'ImageDecodeError';
  }
}

/**
 * Decodes PNG, JPEG, WebP, AVIF, GIF (first frame), TIFF (first page) and anything else sharp reads, the way
 * PIL's `Image.open(...).convert('RGB')` sees it: no EXIF auto-rotation, embedded ICC profiles ignored (PIL does
 * not apply them), grayscale replicated, CMYK converted with PIL's formula, 16-bit reduced to its high byte.
 * Alpha is returned separately and never composited (`convert('RGB')` drops it).
 */
export async function decodeImage(input: string | Uint8Array, label?: string): Promise<DecodedImage> {
  const source = label ?? (typeof input === 'string' ? input : 'buffer');
  try {
    const image = sharp(input, SHARP_OPTIONS);
    const metadata = await image.metadata();
    if (metadata.space === 'cmyk') return await decodeCmyk(image);
    // libvips casts 16-bit samples to 8 bits by clipping; keep 16 bits and take the high byte as PIL does.
    const deep = metadata.depth === 'ushort';
    const converted = deep
      ? image.toColourspace('rgb16').raw({ depth: 'ushort' })
      : image.toColourspace('srgb').raw({ depth: 'uchar' });
    const { data, info } = await converted.toBuffer({ resolveWithObject: true });
    const decoded = splitChannels(deep ? highBytes(data) : data, info, source);
    return opensAsPaletteOrBilevel(metadata) ? { ...decoded, nearestInPil: true } : decoded;
  } catch (error) {
    if (error instanceof ImageDecodeError) throw error;
    throw new ImageDecodeError(source, describeSharpError(error, source));
  }
}

function opensAsPaletteOrBilevel(metadata: Metadata): boolean {
  const bilevelPng = metadata.format === 'png' && metadata.channels === 1 && metadata.bitsPerSample === 1;
  return metadata.isPalette || bilevelPng;
}

/** CMYK stays CMYK through libvips (no colour management); RGB comes from PIL's own CMYK → RGB formula. */
async function decodeCmyk(image: Sharp): Promise<DecodedImage> {
  const { data, info } = await image
    .pipelineColourspace('cmyk')
    .toColourspace('cmyk')
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  const pixels = info.width * info.height;
  const cmyk = new Uint8Array(pixels * 4);
  for (let p = 0; p < pixels; p++) cmyk.set(data.subarray(p * info.channels, p * info.channels + 4), p * 4);
  return { width: info.width, height: info.height, rgb: cmykToRgb(cmyk), cmyk };
}

function highBytes(data: Buffer): Buffer {
  const wide = new Uint16Array(data.buffer, data.byteOffset, data.byteLength / 2);
  const narrow = Buffer.allocUnsafe(wide.length);
  for (let i = 0; i < wide.length; i++) narrow[i] = wide[i]! >> 8;
  return narrow;
}

function describeSharpError(error: unknown, source: string): string {
  const message = error instanceof Error ? error.message : String(error);
  if (/no such file|ENOENT|missing/i.test(message)) return 'file not found';
  if (/unsupported image format/i.test(message)) return `${basename(source)} is not a supported image format`;
  return message.split('\n')[0] ?? message;
}

function splitChannels(data: Buffer, info: OutputInfo, source: string): DecodedImage {
  const { width, height, channels } = info;
  const pixels = width * height;
  if (channels === 3) return { width, height, rgb: new Uint8Array(data.buffer, data.byteOffset, pixels * 3) };
  if (channels !== 4 && channels !== 1 && channels !== 2) {
    throw new ImageDecodeError(source, `unexpected ${channels}-channel decode`);
  }
  const rgb = new Uint8Array(pixels * 3);
  const hasAlpha = channels === 2 || channels === 4;
  const alpha = hasAlpha ? new Uint8Array(pixels) : undefined;
  const colourChannels = channels >= 3 ? 3 : 1;
  for (let p = 0; p < pixels; p++) {
    const s = p * channels;
    for (let c = 0; c < 3; c++) rgb[p * 3 + c] = data[s + (colourChannels === 3 ? c : 0)]!;
    if (alpha) alpha[p] = data[s + channels - 1]!;
  }
  return alpha ? { width, height, rgb, alpha } : { width, height, rgb };
}
