import type { DecodedImage } from './decode';
import { pillowBicubicResize, type PixelBuffer } from './pil-bicubic';
import { roundHalfEven } from '../common/round';
import { cmykToRgb, premultiply, unpremultiplyToRgb } from './pil-convert';
import { pillowNearestResize } from './pil-nearest';
import { torchBicubicResize } from './torch-bicubic';

/**
 * 'openai': OpenAI CLIP `_transform` (HPS v1, CLIP score, LAION aesthetic): PIL bicubic short side → 224,
 *   centre crop with Python round-half-even offsets, /255, normalise.
 * 'pickscore': HF CLIPImageProcessor (PickScore): RGB conversion first, then the same PIL resize, centre crop
 *   with floor offsets, rescale by ×(1/255) in double precision, normalise.
 * 'hpsv2': HPSv2's open_clip `image_transform(224, resize_longest_max=True)`: ToTensor, torch float bicubic of
 *   the LONG side → 224 (round-half-even sizes, no antialias), black letterbox, normalise.
 */
export type PreprocessMode = 'openai' | 'pickscore' | 'hpsv2';

export const IMAGE_SIZE = 224;
export const CLIP_MEAN: readonly number[] = [0.48145466, 0.4578275, 0.40821073];
export const CLIP_STD: readonly number[] = [0.26862954, 0.26130258, 0.27577711];

/** Planar float32 [3, height, width], normalised. height = width = 224 except the hpsv2 no-pad case. */
export interface PixelTensor {
  readonly data: Float32Array;
  readonly height: number;
  readonly width: number;
}

export interface PreprocessOptions {
  /**
   * hpsv2 only. The reference skips resize AND padding when the longest side is already 224, so a 224×150 image
   * stays 224×150 (and then fails in the model). Default false reproduces that; true letterboxes it to 224×224.
   */
  letterboxUnscaled?: boolean;
}

const f32 = Math.fround;
const MEAN32 = CLIP_MEAN.map(f32);
const STD32 = CLIP_STD.map(f32);

/** torchvision 0.14 Resize(224) on a PIL image: short side → size, long side int(size·long/short). */
export function shortSideSize(width: number, height: number, size = IMAGE_SIZE): [number, number] {
  if (width <= height) return [size, Math.trunc((size * height) / width)];
  return [Math.trunc((size * width) / height), size];
}

/** open_clip ResizeMaxSize: scale = max_size / max(h, w); new = round(dim·scale). */
export function longSideSize(width: number, height: number, size = IMAGE_SIZE): [number, number] {
  const scale = size / Math.max(width, height);
  return [roundHalfEven(width * scale), roundHalfEven(height * scale)];
}

function buildLut(toUnit: (v: number) => number): Float32Array {
  const lut = new Float32Array(3 * 256);
  for (let c = 0; c < 3; c++) {
    for (let v = 0; v < 256; v++) lut[c * 256 + v] = f32(f32(f32(toUnit(v)) - MEAN32[c]!) / STD32[c]!);
  }
  return lut;
}

// torchvision ToTensor divides in float32; HF's rescale multiplies by 1/255 in float64 then casts.
const OPENAI_LUT = buildLut((v) => v / 255);
const PICKSCORE_LUT = buildLut((v) => v * (1 / 255));

/**
 * OpenAI's `_transform` resizes in the file's own PIL mode and converts to RGB afterwards: palette and 1-bit
 * images resize with NEAREST (PIL forces it for modes "P" and "1"), CMYK resizes as 4 channels, RGBA resizes premultiplied
 * (RGBA → RGBa → resize → RGBA) and `convert('RGB')` then drops alpha. HF's processor (PickScore) converts to RGB
 * first: plain bicubic on RGB.
 */
function pillowResizeRgb(
  image: DecodedImage,
  width: number,
  height: number,
  convertFirst: boolean,
): PixelBuffer {
  const size = { width: image.width, height: image.height };
  const rgb = { ...size, channels: 3, data: image.rgb };
  if (convertFirst) return pillowBicubicResize(rgb, width, height);
  if (image.nearestInPil) return pillowNearestResize(rgb, width, height);
  if (image.cmyk) {
    const resized = pillowBicubicResize({ ...size, channels: 4, data: image.cmyk }, width, height);
    return { width, height, channels: 3, data: cmykToRgb(resized.data) };
  }
  if (image.alpha) {
    const resized = pillowBicubicResize(
      { ...size, channels: 4, data: premultiply(image.rgb, image.alpha) },
      width,
      height,
    );
    return { width, height, channels: 3, data: unpremultiplyToRgb(resized.data) };
  }
  return pillowBicubicResize(rgb, width, height);
}

/** `huggingFace`: CLIPImageProcessor's variant (PickScore): RGB first, floor crop offsets, ×(1/255) rescale. */
function pillowPipeline(image: DecodedImage, huggingFace: boolean): PixelTensor {
  const [width, height] = shortSideSize(image.width, image.height);
  const resized = pillowResizeRgb(image, width, height, huggingFace);
  const offset = (extra: number) => (huggingFace ? Math.floor(extra / 2) : roundHalfEven(extra / 2));
  const top = offset(height - IMAGE_SIZE);
  const left = offset(width - IMAGE_SIZE);
  const lut = huggingFace ? PICKSCORE_LUT : OPENAI_LUT;
  const plane = IMAGE_SIZE * IMAGE_SIZE;
  const data = new Float32Array(3 * plane);
  for (let y = 0; y < IMAGE_SIZE; y++) {
    const src = ((y + top) * width + left) * 3;
    for (let x = 0; x < IMAGE_SIZE; x++) {
      for (let c = 0; c < 3; c++)
        data[c * plane + y * IMAGE_SIZE + x] = lut[c * 256 + resized.data[src + x * 3 + c]!]!;
    }
  }
  return { data, height: IMAGE_SIZE, width: IMAGE_SIZE };
}

// ToTensor: float32(v) / 255.
const TO_TENSOR = Float32Array.from({ length: 256 }, (_, v) => v / 255);

function toTensor(image: DecodedImage): Float32Array {
  const pixels = image.width * image.height;
  const planes = new Float32Array(3 * pixels);
  for (let p = 0; p < pixels; p++) {
    for (let c = 0; c < 3; c++) planes[c * pixels + p] = TO_TENSOR[image.rgb[p * 3 + c]!]!;
  }
  return planes;
}

function hpsv2Pipeline(image: DecodedImage, options: PreprocessOptions): PixelTensor {
  const source = { width: image.width, height: image.height, channels: 3, data: image.rgb };
  const unscaled = Math.max(image.width, image.height) === IMAGE_SIZE;
  const [width, height] = unscaled ? [image.width, image.height] : longSideSize(image.width, image.height);
  const resized = unscaled ? toTensor(image) : torchBicubicResize(source, TO_TENSOR, width, height);
  const pad = !unscaled || options.letterboxUnscaled === true;
  const outW = pad ? IMAGE_SIZE : width;
  const outH = pad ? IMAGE_SIZE : height;
  const left = pad ? Math.floor((IMAGE_SIZE - width) / 2) : 0;
  const top = pad ? Math.floor((IMAGE_SIZE - height) / 2) : 0;
  const plane = outW * outH;
  const data = new Float32Array(3 * plane);
  for (let c = 0; c < 3; c++) {
    const black = f32(f32(0 - MEAN32[c]!) / STD32[c]!);
    data.fill(black, c * plane, (c + 1) * plane);
    for (let y = 0; y < height; y++) {
      const src = c * width * height + y * width;
      const dst = c * plane + (y + top) * outW + left;
      for (let x = 0; x < width; x++) data[dst + x] = f32(f32(resized[src + x]! - MEAN32[c]!) / STD32[c]!);
    }
  }
  return { data, height: outH, width: outW };
}

/** The model's exact input for one decoded image. */
export function preprocessImage(
  image: DecodedImage,
  mode: PreprocessMode,
  options: PreprocessOptions = {},
): PixelTensor {
  if (mode === 'hpsv2') return hpsv2Pipeline(image, options);
  return pillowPipeline(image, mode === 'pickscore');
}

/** Stacks preprocessed images into [n, 3, 224, 224]; names the offending item if one is not 224×224. */
export function stackPixels(tensors: readonly PixelTensor[], labels?: readonly string[]): Float32Array {
  const size = 3 * IMAGE_SIZE * IMAGE_SIZE;
  const batch = new Float32Array(tensors.length * size);
  tensors.forEach((tensor, i) => {
    if (tensor.width !== IMAGE_SIZE || tensor.height !== IMAGE_SIZE) {
      const name = labels?.[i] ?? `image ${i}`;
      throw new Error(
        `${name}: preprocessed to ${tensor.width}×${tensor.height}, not ${IMAGE_SIZE}×${IMAGE_SIZE} ` +
          '(HPS v2 reference leaves images whose longest side is already 224 unpadded; use letterboxUnscaled)',
      );
    }
    batch.set(tensor.data, i * size);
  });
  return batch;
}
