// One txt2img generation as the studio's generation worker and `hps-studio generate` both run it: the LoRAs
// (a warning per file with modules the pipeline cannot apply), sampling with progress and PNG step previews,
// then the PNGs written into a folder as seed-<seed>.png (seed-<seed>-<n>.png when that name is taken).
import { access, mkdir } from 'node:fs/promises';
import path from 'node:path';
import {
  encodePng,
  writePng,
  type GenerateRequest,
  type GeneratedImage,
  type LoraRequest,
  type SdPipeline,
} from './pipeline';

export interface GenerateImagesRequest extends Omit<GenerateRequest, 'width' | 'height' | 'onPreview'> {
  /** Default: the model's own size. */
  width?: number;
  height?: number;
  /** Folder for the PNGs (created if missing). */
  outDir: string;
  /** The first image after each step as a PNG; every one is delivered, in order, before the result. */
  onPreview?: (preview: StepPreview) => void;
}

export interface StepPreview {
  step: number;
  total: number;
  png: Buffer;
}

export interface GeneratedFiles {
  images: { file: string; seed: number }[];
  /** One line per LoRA file with modules it could not apply (3×3 LoCon, LoHa, …). */
  loraWarnings: string[];
}

export async function generateImages(
  pipe: SdPipeline,
  request: GenerateImagesRequest,
): Promise<GeneratedFiles> {
  const { outDir, onPreview, ...sampling } = request;
  const loraWarnings = await loraWarningsOf(pipe, request.loras ?? []);
  const size = pipe.model.unet.config.sampleSize * pipe.scaleFactor;
  let previews = Promise.resolve();
  const { images } = await pipe.generate({
    ...sampling,
    width: request.width ?? size,
    height: request.height ?? size,
    onPreview:
      onPreview &&
      ((preview, step, total) => {
        // Encoded in order, off the sampling loop's critical path.
        previews = previews.then(async () => onPreview({ step, total, png: await encodePng(preview) }));
      }),
  });
  await previews;
  return { images: await writeImages(images, outDir), loraWarnings };
}

async function loraWarningsOf(pipe: SdPipeline, loras: readonly LoraRequest[]): Promise<string[]> {
  const warnings: string[] = [];
  for (const { file } of loras) {
    const { skipped } = await pipe.lora(file);
    if (skipped.length > 0)
      warnings.push(
        `${path.basename(file)}: ${skipped.length} ${skipped.length === 1 ? 'target' : 'targets'} not applied, e.g. ${skipped[0]}`,
      );
  }
  return warnings;
}

/** One at a time, so each image's name is checked against the ones written before it. */
async function writeImages(images: GeneratedImage[], outDir: string): Promise<GeneratedFiles['images']> {
  await mkdir(outDir, { recursive: true });
  const files: GeneratedFiles['images'] = [];
  for (const { image, seed } of images) {
    const file = await freeName(outDir, seed);
    await writePng(image, file);
    files.push({ file, seed });
  }
  return files;
}

async function freeName(dir: string, seed: number): Promise<string> {
  for (let n = 0; ; n++) {
    const file = path.join(dir, n === 0 ? `seed-${seed}.png` : `seed-${seed}-${n}.png`);
    const taken = await access(file).then(
      () => true,
      () => false,
    );
    if (!taken) return file;
  }
}
