export { PrefixMap } from './prefix-map';
export { unetLayoutFromConfig, unetLayoutFromLdmNames, unetPrefixMap, type UnetLayout } from './unet';
export {
  isConvShapedVaeAttention,
  modernDiffusersVaeName,
  vaeLayoutFromConfig,
  vaeLayoutFromLdmNames,
  vaePrefixMap,
  type VaeLayout,
} from './vae';
export {
  mapSingleFileNames,
  SINGLE_FILE_PREFIXES,
  type SdComponent,
  type SingleFileLayouts,
  type SingleFileMapping,
  type SingleFileTarget,
} from './single-file';
export { textEncoderTargets, type LocalTarget } from './text-encoder';
export type { TensorTransform } from './transforms';
export {
  kohyaLoraKey,
  modulePathsOf,
  resolveLoraKeys,
  type LoraRole,
  type LoraComponent,
  type LoraKeyResolution,
  type LoraTarget,
} from './lora';
