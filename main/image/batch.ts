import { decodeImage } from './decode';
import { IMAGE_SIZE, preprocessImage, type PreprocessMode, type PreprocessOptions } from './preprocess';

export interface PreparedBatch {
  /** [images.length, 3, 224, 224] model input, in the order of `images` */
  pixels: Float32Array;
  /** the inputs that were decoded and preprocessed, in input order */
  images: string[];
  /** inputs that could not be used, with the reason (unreadable file, or a shape the model cannot take) */
  failures: { image: string; error: string }[];
}

export interface PrepareOptions extends PreprocessOptions {
  /** decodes in flight at once (sharp decodes on libuv threads); default 4 */
  concurrency?: number;
}

const PER_IMAGE = 3 * IMAGE_SIZE * IMAGE_SIZE;

/**
 * Decodes and preprocesses files for one model input batch. A file that fails is reported in `failures` and the
 * rest are still prepared, so one corrupt image never sinks a batch.
 */
export async function prepareBatch(
  paths: readonly string[],
  mode: PreprocessMode,
  options: PrepareOptions = {},
): Promise<PreparedBatch> {
  const results: (Float32Array | Error)[] = new Array(paths.length);
  let next = 0;
  const worker = async () => {
    while (next < paths.length) {
      const index = next++;
      results[index] = await prepareOne(paths[index]!, mode, options);
    }
  };
  const lanes = Math.max(1, Math.min(options.concurrency ?? 4, paths.length));
  await Promise.all(Array.from({ length: lanes }, worker));

  const images: string[] = [];
  const failures: PreparedBatch['failures'] = [];
  const pixels = new Float32Array(results.filter((r) => !(r instanceof Error)).length * PER_IMAGE);
  results.forEach((result, i) => {
    if (result instanceof Error) {
      failures.push({ image: paths[i]!, error: result.message });
    } else {
      pixels.set(result, images.length * PER_IMAGE);
      images.push(paths[i]!);
    }
  });
  return { pixels, images, failures };
}

async function prepareOne(
  path: string,
  mode: PreprocessMode,
  options: PreprocessOptions,
): Promise<Float32Array | Error> {
  try {
    const tensor = preprocessImage(await decodeImage(path), mode, options);
    if (tensor.width !== IMAGE_SIZE || tensor.height !== IMAGE_SIZE) {
      return new Error(
        `${path}: preprocessed to ${tensor.width}×${tensor.height}; the HPS v2 reference leaves images whose longest ` +
          'side is already 224 unpadded (letterboxUnscaled pads them)',
      );
    }
    return tensor.data;
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}
