// Frozen encoders, run once per training run: every image is centre-cropped and resized to the training
// resolution (sharp, Lanczos, cover; no EXIF rotation, as PIL's Image.open in the reference scripts) and VAE-encoded to its latent distribution (mean, std); every caption is
// tokenised (one 77-token window, truncated with EOT last, <|endoftext|> padding as SD's tokenizer) and encoded.
// Latents are drawn per step from the distribution as diffusers' latent_dist.sample() does, with the run's
// seeded generator (see sampler.ts).
import sharp from 'sharp';
import type { EngineSession } from '../../../engine/runtime';
import {
  buildTextEncoder,
  buildVaeEncoder,
  TEXT_INPUT,
  TEXT_OUTPUT,
  VAE_IMAGE,
  VAE_MEAN,
  VAE_STD,
} from '../../../models/sd';
import type { SdModel } from '../../diffusion/loader';
import { openGraphSession, type GraphSessionOptions } from '../../diffusion/pipeline/sessions';
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

export async function encodeImages(
  model: SdModel,
  files: readonly string[],
  resolution: number,
  sessionOptions: Omit<GraphSessionOptions, 'precision'>,
  signal?: AbortSignal,
): Promise<Map<string, LatentDistribution>> {
  const unique = [...new Set(files)];
  const out = new Map<string, LatentDistribution>();
  if (unique.length === 0) return out;
  const { weights, config } = model.vae;
  const session = await openGraphSession(buildVaeEncoder(weights, config, resolution, resolution), {
    ...sessionOptions,
    precision: 'fp32',
  });
  try {
    for (const file of unique) {
      signal?.throwIfAborted();
      const pixels = await loadTrainingPixels(file, resolution);
      const result = await session.run(
        { [VAE_IMAGE]: { dtype: 'float32', data: pixels, dims: [1, 3, resolution, resolution] } },
        { signal },
      );
      out.set(file, {
        mean: result[VAE_MEAN]!.data as Float32Array,
        std: result[VAE_STD]!.data as Float32Array,
      });
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
