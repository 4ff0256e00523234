export { prepareBatch } from './batch';
export type { PrepareOptions, PreparedBatch } from './batch';
export { decodeImage, ImageDecodeError } from './decode';
export type { DecodedImage } from './decode';
export {
  CLIP_MEAN,
  CLIP_STD,
  IMAGE_SIZE,
  longSideSize,
  preprocessImage,
  shortSideSize,
  stackPixels,
} from './preprocess';
export type { PixelTensor, PreprocessMode, PreprocessOptions } from './preprocess';
export { pillowBicubicResize, pillowCoefficients } from './pil-bicubic';
export type { PixelBuffer } from './pil-bicubic';
export { torchBicubicResize, torchCubicTaps } from './torch-bicubic';
