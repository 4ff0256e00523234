import { createHash, randomBytes } from 'node:crypto';
import {
  mkdirSync,
  existsSync,
  renameSync,
  readFileSync,
  openSync,
  writeSync,
  fsyncSync,
  closeSync,
} from 'node:fs';
import path from 'node:path';
import sharp, { type Metadata } from 'sharp';

/** Formats we accept, by sharp's format name → file extension. */
const EXTENSIONS: Record<string, string> = {
  jpeg: 'jpg',
  png: 'png',
  webp: 'webp',
  gif: 'gif',
  avif: 'avif',
  tiff: 'tiff',
};

export const THUMB_SIZE = 256;

export interface ProbedImage {
  hash: string;
  ext: string;
  width: number;
  height: number;
  byteSize: number;
}

export class ImageDecodeError extends Error {}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Hashes the bytes and checks that they decode as a supported image (a corrupt file fails here, not in the UI). */
export async function probeImage(bytes: Uint8Array): Promise<ProbedImage> {
  let meta: Metadata;
  try {
    meta = await sharp(bytes).metadata();
    // metadata() only reads the header; decoding a few pixels catches truncated bodies.
    await sharp(bytes).resize(8, 8, { fit: 'inside' }).raw().toBuffer();
  } catch (error) {
    throw new ImageDecodeError(`not a readable image: ${(error as Error).message}`);
  }
  const ext = meta.format ? EXTENSIONS[meta.format] : undefined;
  if (!ext) throw new ImageDecodeError(`unsupported image format: ${meta.format ?? 'unknown'}`);
  if (!meta.width || !meta.height) throw new ImageDecodeError('image has no dimensions');
  return { hash: sha256Hex(bytes), ext, width: meta.width, height: meta.height, byteSize: bytes.byteLength };
}

/** Content-addressed files under `<root>/images/ab/cdef….ext` and cached thumbnails under `<root>/thumbs/`. */
export class ImageStore {
  constructor(private readonly root: string) {}

  imagePath(hash: string, ext: string): string {
    return path.join(this.root, 'images', hash.slice(0, 2), `${hash.slice(2)}.${ext}`);
  }

  thumbPath(hash: string, size = THUMB_SIZE): string {
    return path.join(this.root, 'thumbs', String(size), hash.slice(0, 2), `${hash.slice(2)}.webp`);
  }

  /** Writes the bytes unless the same content is already stored. Temp file + rename: never a half-written image. */
  put(hash: string, ext: string, bytes: Uint8Array): void {
    writeAtomically(this.imagePath(hash, ext), bytes);
  }

  read(hash: string, ext: string): Buffer {
    return readFileSync(this.imagePath(hash, ext));
  }

  /** Returns the thumbnail path, generating it on first request. */
  async thumbnail(hash: string, ext: string, size = THUMB_SIZE): Promise<string> {
    const target = this.thumbPath(hash, size);
    if (existsSync(target)) return target;
    const webp = await sharp(this.imagePath(hash, ext))
      .rotate()
      .resize(size, size, { fit: 'inside', withoutEnlargement: true })
      .webp({ quality: 80 })
      .toBuffer();
    writeAtomically(target, webp);
    return target;
  }
}

function writeAtomically(target: string, bytes: Uint8Array): void {
  if (existsSync(target)) return;
  mkdirSync(path.dirname(target), { recursive: true });
  const temp = `${target}.${randomBytes(6).toString('hex')}.tmp`;
  const fd = openSync(temp, 'w');
  try {
    writeSync(fd, bytes);
    // The database row that points at this file is committed durably, so the file must be on disk first.
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, target);
}
