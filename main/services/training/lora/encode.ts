// Frozen encoders, run once per training run: every image is centre-cropped and resized to the training
// resolution (sharp, Lanczos, cover; no EXIF rotation, as PIL's Image.open in the reference scripts) and VAE-encoded to its latent distribution (mean, std); every caption is
// tokenised (one 77-token window, truncated with EOT last, <|endoftext|> padding as SD's tokenizer) and encoded.
// Latents are drawn per step from the distribution as diffusers' latent_dist.sample() does, with the run's
// seeded generator (see sampler.ts).
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { openGraphSession, type EngineSession, type GraphSessionOptions } from '../../../engine/runtime';
import {
  buildTextEncoder,
  buildVaeEncoder,
  vaeScaleFactor,
  TEXT_INPUT,
  TEXT_OUTPUT,
  VAE_IMAGE,
  VAE_MEAN,
  VAE_STD,
} from '../../../models/sd';
import type { SdModel } from '../../diffusion/loader';
import type { ClipTokenizer } from '../../../tokenizer';

export interface LatentDistribution {
  mean: Float32Array;
  std: Float32Array;
}

/** RGB of an image, cover-resized and centre-cropped to size × size, as [1, 3, size, size] in [−1, 1]. */
export async function loadTrainingPixels(file: string, size: number): Promise<Float32Array> {
  const { data, info } = await sharp(file)
    .resize(size, size, { fit: 'cover', position: 'centre', kernel: 'lanczos3' })
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true })
    .catch((error: Error) => {
      throw new Error(`cannot read training image ${file}: ${error.message}`);
    });
  const channels = info.channels;
  const plane = size * size;
  const out = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++)
      out[c * plane + i] = data[i * channels + Math.min(c, channels - 1)]! / 127.5 - 1;
  }
  return out;
}

/** Where an image's latent distribution is kept: keyed by the VAE weights, the image file (path, size, mtime) and the size. */
async function latentCacheFile(
  cacheDir: string,
  model: SdModel,
  file: string,
  resolution: number,
): Promise<string> {
  const info = await stat(file);
  const key = `${model.vae.weights.identity}|${path.resolve(file)}|${info.size}|${info.mtimeMs}|${resolution}`;
  return path.join(cacheDir, `${createHash('sha256').update(key).digest('hex')}.f32`);
}

async function readCachedLatent(file: string, size: number): Promise<LatentDistribution | undefined> {
  const bytes = await readFile(file).catch(() => undefined);
  if (!bytes || bytes.byteLength !== 8 * size) return undefined;
  const values = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  return { mean: values.slice(0, size), std: values.slice(size) };
}

async function writeCachedLatent(file: string, d: LatentDistribution): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const values = new Float32Array(d.mean.length * 2);
  values.set(d.mean);
  values.set(d.std, d.mean.length);
  const partial = `${file}.${process.pid}.partial`;
  await writeFile(partial, new Uint8Array(values.buffer));
  await rename(partial, file);
}

/**
 * Latent distributions of the images, VAE-encoded once: kept under `cacheDir` so a resumed or repeated run
 * (same VAE, unchanged file, same resolution) skips the encoder.
 */
export async function encodeImages(
  model: SdModel,
  files: readonly string[],
  resolution: number,
  sessionOptions: Omit<GraphSessionOptions, 'precision'>,
  cacheDir: string,
  signal?: AbortSignal,
): Promise<Map<string, LatentDistribution>> {
  const out = new Map<string, LatentDistribution>();
  const { weights, config } = model.vae;
  const factor = vaeScaleFactor(config);
  const size = config.latentChannels * (resolution / factor) ** 2;
  const missing: { file: string; cache: string }[] = [];
  for (const file of new Set(files)) {
    const cache = await latentCacheFile(cacheDir, model, file, resolution);
    const cached = await readCachedLatent(cache, size);
    if (cached) out.set(file, cached);
    else missing.push({ file, cache });
  }
  if (missing.length === 0) return out;
  const session = await openGraphSession(buildVaeEncoder(weights, config, resolution, resolution), {
    ...sessionOptions,
    precision: 'fp32',
  });
  try {
    for (const { file, cache } of missing) {
      signal?.throwIfAborted();
      const pixels = await loadTrainingPixels(file, resolution);
      const result = await session.run(
        { [VAE_IMAGE]: { dtype: 'float32', data: pixels, dims: [1, 3, resolution, resolution] } },
        { signal },
      );
      const d = { mean: result[VAE_MEAN]!.data as Float32Array, std: result[VAE_STD]!.data as Float32Array };
      out.set(file, d);
      await writeCachedLatent(cache, d);
    }
  } finally {
    await session.release();
  }
  return out;
}

/** Text-encoder hidden states [77, width] per distinct caption. */
export async function encodeCaptions(
  model: SdModel,
  tokenizer: ClipTokenizer,
  captions: readonly string[],
  sessionOptions: Omit<GraphSessionOptions, 'precision'>,
  signal?: AbortSignal,
): Promise<Map<string, Float32Array>> {
  const unique = [...new Set(captions)];
  const { weights, config } = model.textEncoder;
  const length = config.contextLength;
  const session: EngineSession = await openGraphSession(buildTextEncoder(weights, config, 'f32'), {
    ...sessionOptions,
    precision: 'fp32',
  });
  const out = new Map<string, Float32Array>();
  try {
    for (const caption of unique) {
      signal?.throwIfAborted();
      const ids = tokenizer.tokenize(caption, { contextLength: length, pad: 'eot' });
      const result = await session.run(
        { [TEXT_INPUT]: { dtype: 'int32', data: ids, dims: [1, length] } },
        { signal },
      );
      out.set(caption, result[TEXT_OUTPUT]!.data as Float32Array);
    }
  } finally {
    await session.release();
  }
  return out;
}
