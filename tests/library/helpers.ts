import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';

export function tempDir(prefix = 'hps-library-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A small PNG whose colour (and so whose bytes and sha256) is determined by `seed`. */
export async function makePng(seed: number, width = 24, height = 16): Promise<Buffer> {
  const background = { r: (seed * 37) % 256, g: (seed * 91 + 13) % 256, b: (seed * 53 + 101) % 256 };
  return sharp({ create: { width, height, channels: 3, background } })
    .png()
    .toBuffer();
}

export async function makeJpeg(seed: number, width = 20, height = 20): Promise<Buffer> {
  const background = { r: (seed * 17) % 256, g: (seed * 29) % 256, b: (seed * 71) % 256 };
  return sharp({ create: { width, height, channels: 3, background } })
    .jpeg({ quality: 90 })
    .toBuffer();
}

/** Deterministic uniform [0, 1) numbers (mulberry32), for reproducible assignment order. */
export function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
