export { ClipModel, type ClipModelOptions, type ClipTower } from './model';
export {
  inferClipConfig,
  type ClipActivation,
  type ClipConfig,
  type HeadOptions,
  type TextConfig,
  type VisionConfig,
} from './config';
export {
  ClipWeights,
  detectClipLayout,
  type ClipLayout,
  type TensorTable,
  type WeightArray,
  type WeightStorage,
} from './weights';
export { EOT_INPUT, IMAGE_INPUT, IMAGE_OUTPUT, TEXT_OUTPUT, TOKENS_INPUT, eotIndices } from './towers';
