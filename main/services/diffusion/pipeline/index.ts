// Stable Diffusion txt2img on the engine.
//   const pipe = await SdPipeline.open(modelDirOrFile, { ep: 'cpu', vocab, workDir });
//   const { images } = await pipe.generate({ prompt, negative: 'Weird image. ', steps: 50, cfg: 7.5, seed: 1,
//     scheduler: 'pndm', width: 512, height: 512, loras: [{ file, scale: 0.8 }], signal, onProgress, onPreview });
//   await writePng(images[0].image, 'out.png'); await pipe.close();
export {
  SdPipeline,
  type GenerateRequest,
  type GenerateResult,
  type GeneratedImage,
  type LoraRequest,
  type PipelineOptions,
  type ProgressEvent,
} from './pipeline';
export { decodedToUnit, encodePng, unitToRgb, writePng, type RgbImage } from './image';
export { tokenizePrompts, type PromptTokens } from './prompts';
