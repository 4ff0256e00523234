// Stable Diffusion components as engine graphs: text encoder (CLIPTextModel), UNet2DConditionModel with
// LoRA as graph inputs, AutoencoderKL encoder/decoder; configs from config.json or tensor shapes.
export * from './config';
export {
  ComponentWeights,
  lazyWeight,
  readWeight,
  transformedTensor,
  type ComponentTensors,
  type WeightStorage,
} from './weights';
export { buildTextEncoder, TEXT_INPUT, TEXT_OUTPUT } from './text-encoder';
export {
  buildUnet,
  timestepEmbedding,
  UNET_CONTEXT,
  UNET_OUTPUT,
  UNET_SAMPLE,
  UNET_TIME,
  type UnetBuildOptions,
  type UnetLoraScope,
} from './unet';
export {
  buildVaeDecoder,
  buildVaeEncoder,
  VAE_DECODED,
  VAE_IMAGE,
  VAE_LATENT,
  VAE_MEAN,
  VAE_STD,
} from './vae';
export {
  loraGraphInputs,
  loraInputNames,
  loraDelta,
  loraLinear,
  loraWeightDelta,
  LORA_RANK_DIM,
  type LoraModule,
  type LoraPair,
  type LoraProvider,
} from './lora-graph';
export { loadLoraFile, loraFeeds, type ActiveLora, type LoraMatrices, type LoraWeights } from './lora-file';
