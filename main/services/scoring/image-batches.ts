// Reads, hashes, decodes and preprocesses images in groups for the image tower, one group ahead of the
// consumer: while batch i runs in onnxruntime (its own threads), batch i+1 is decoded (sharp, libuv
// threads) and preprocessed here.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { decodeImage, preprocessImage, stackPixels, type PreprocessMode } from '../../image';
import { imageLabel, type ImageInput } from './types';

export interface PreparedImage {
  index: number;
  image: string;
  hash: string;
  pixels: Float32Array;
}

/** What happened to an image that needs no inference: a cache hit or an error. */
export type Settled =
  | { index: number; image: string; hash: string; cached: Float32Array }
  | { index: number; image: string; error: string };

export interface PrepareOptions {
  mode: PreprocessMode;
  batchSize: number;
  /** Cached features for a content hash, if any (such images are not decoded). */
  lookup: (hash: string) => Float32Array | undefined;
  /** Called as soon as an image is settled without inference. */
  settle: (item: Settled) => void;
  signal?: AbortSignal;
}

export interface PixelBatch {
  items: PreparedImage[];
  /** [items.length, 3, 224, 224] */
  pixels: Float32Array;
}

async function readBytes(input: ImageInput): Promise<Uint8Array> {
  return typeof input === 'string' ? readFile(input) : input.bytes;
}

function describe(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if ((error as NodeJS.ErrnoException)?.code === 'ENOENT') return 'file not found';
  if ((error as NodeJS.ErrnoException)?.code === 'EISDIR') return 'is a directory, not an image';
  return message;
}

async function* groups(images: readonly ImageInput[], o: PrepareOptions): AsyncGenerator<PixelBatch> {
  let items: PreparedImage[] = [];
  for (let index = 0; index < images.length; index++) {
    o.signal?.throwIfAborted();
    const input = images[index]!;
    const image = imageLabel(input);
    try {
      const bytes = await readBytes(input);
      const hash = createHash('sha256').update(bytes).digest('hex');
      const cached = o.lookup(hash);
      if (cached) {
        o.settle({ index, image, hash, cached });
        continue;
      }
      // The reference leaves an image whose long side is already 224 unpadded and then fails; we letterbox it.
      const pixels = preprocessImage(await decodeImage(bytes, image), o.mode, { letterboxUnscaled: true });
      items.push({ index, image, hash, pixels: stackPixels([pixels], [image]) });
    } catch (error) {
      o.settle({ index, image, error: describe(error) });
      continue;
    }
    if (items.length === o.batchSize) {
      yield batchOf(items);
      items = [];
    }
  }
  if (items.length) yield batchOf(items);
}

function batchOf(items: PreparedImage[]): PixelBatch {
  const size = items[0]!.pixels.length;
  const pixels = new Float32Array(items.length * size);
  items.forEach((item, i) => pixels.set(item.pixels, i * size));
  return { items, pixels };
}

/** Pixel batches of the images that need inference, prepared one batch ahead of the consumer. */
export async function* pixelBatches(
  images: readonly ImageInput[],
  options: PrepareOptions,
): AsyncGenerator<PixelBatch> {
  const source = groups(images, options);
  let next = source.next();
  try {
    for (;;) {
      const current = await next;
      if (current.done) return;
      next = source.next();
      // An abandoned prefetch must not surface as an unhandled rejection.
      next.catch(() => undefined);
      yield current.value;
    }
  } finally {
    await next.catch(() => undefined);
    await source.return(undefined);
  }
}
