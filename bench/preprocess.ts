// Preprocessing bench: decode (sharp) and per-model preprocessing (exact Pillow bicubic for HPS v1 / CLIP /
// aesthetic / PickScore; torch float bicubic + letterbox for HPS v2) per image size, and end-to-end throughput
// of decode + preprocess over a folder-like stream of files. JS work is timed in process CPU time as well as wall
// time, because the bench machines are shared and wall time includes waiting for a core.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { decodeImage, preprocessImage, type DecodedImage, type PreprocessMode } from '../main/image';
import type { BenchContext, BenchSuite, BenchTable } from './harness';

const MODES: readonly PreprocessMode[] = ['openai', 'pickscore', 'hpsv2'];

export const suite: BenchSuite = {
  name: 'preprocess',
  description: 'image decode + exact per-model preprocessing (ms per image, images/s)',
  run: async (ctx) => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'hps-bench-preprocess-'));
    try {
      const files = await writeInputs(dir, ctx.quick);
      return [await perImageTable(ctx, files), await throughputTable(ctx, files)];
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
};

interface InputFile {
  label: string;
  file: string;
}

/** Photo-like content (smooth gradients plus noise) so codecs do realistic work. */
function photoLike(width: number, height: number): Buffer {
  const data = Buffer.alloc(width * height * 3);
  let seed = 12345;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      const noise = (seed >>> 27) - 16;
      const p = (y * width + x) * 3;
      data[p] = Math.max(0, Math.min(255, ((x * 255) / width + noise) | 0));
      data[p + 1] = Math.max(0, Math.min(255, ((y * 255) / height + noise) | 0));
      data[p + 2] = Math.max(0, Math.min(255, (((x + y) * 127) / (width + height) + 64 + noise) | 0));
    }
  }
  return data;
}

async function writeInputs(dir: string, quick: boolean): Promise<InputFile[]> {
  const sizes: [number, number, 'png' | 'jpeg' | 'webp'][] = quick
    ? [
        [512, 512, 'png'],
        [1024, 768, 'jpeg'],
      ]
    : [
        [512, 512, 'png'],
        [768, 512, 'webp'],
        [1024, 1024, 'png'],
        [1920, 1080, 'jpeg'],
        [4032, 3024, 'jpeg'],
      ];
  const files: InputFile[] = [];
  for (const [width, height, format] of sizes) {
    const file = path.join(dir, `${width}x${height}.${format === 'jpeg' ? 'jpg' : format}`);
    // No quality option for PNG: sharp would write a palette PNG, which PIL (and we) resize with NEAREST.
    const options = format === 'png' ? {} : { quality: 90 };
    await sharp(photoLike(width, height), { raw: { width, height, channels: 3 } })
      .toFormat(format, options)
      .toFile(file);
    files.push({ label: `${width}×${height} ${format.toUpperCase()}`, file });
  }
  return files;
}

interface Timing {
  wallMs: number;
  cpuMs: number;
}

async function measure(repeats: number, fn: () => Promise<unknown> | unknown): Promise<Timing> {
  await fn(); // warm-up: JIT, coefficient tables
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const cpuStart = process.cpuUsage();
    const start = performance.now();
    await fn();
    wall.push(performance.now() - start);
    const used = process.cpuUsage(cpuStart);
    cpu.push((used.user + used.system) / 1000);
  }
  return { wallMs: median(wall), cpuMs: median(cpu) };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function perImageTable(ctx: BenchContext, files: InputFile[]): Promise<BenchTable> {
  const repeats = ctx.quick ? 2 : 5;
  const rows: (string | number)[][] = [];
  for (const { label, file } of files) {
    ctx.log(`per-image timings: ${label}`);
    const decode = await measure(repeats, () => decodeImage(file));
    const image: DecodedImage = await decodeImage(file);
    const row: (string | number)[] = [label, decode.wallMs, decode.cpuMs];
    for (const mode of MODES) {
      const t = await measure(repeats, () => preprocessImage(image, mode));
      row.push(t.wallMs, t.cpuMs);
    }
    rows.push(row);
  }
  return {
    title: `Decode and preprocess, ms per image (median of ${repeats})`,
    columns: [
      'input',
      'decode wall',
      'decode cpu',
      'openai wall',
      'openai cpu',
      'pickscore wall',
      'pickscore cpu',
      'hpsv2 wall',
      'hpsv2 cpu',
    ],
    rows,
    notes: [
      `machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, load average ${os.loadavg()[0]!.toFixed(1)} at the end (shared machine: cpu ms is the steadier figure)`,
      'openai / pickscore: Pillow-exact bicubic with antialiasing, whose cost grows with the source size (support scales with the reduction); hpsv2 reads only 4×4 taps per output pixel.',
    ],
  };
}

async function throughputTable(ctx: BenchContext, files: InputFile[]): Promise<BenchTable> {
  const count = ctx.quick ? 8 : 40;
  const stream = Array.from({ length: count }, (_, i) => files[i % Math.min(files.length, 3)]!.file);
  const rows: (string | number)[][] = [];
  for (const mode of MODES) {
    for (const concurrency of [1, 4]) {
      ctx.log(`throughput: ${mode}, ${concurrency} decodes in flight`);
      const start = performance.now();
      let next = 0;
      const worker = async () => {
        while (next < stream.length) {
          const file = stream[next++]!;
          preprocessImage(await decodeImage(file), mode);
        }
      };
      await Promise.all(Array.from({ length: concurrency }, worker));
      const seconds = (performance.now() - start) / 1000;
      rows.push([mode, concurrency, count, count / seconds, (seconds * 1000) / count]);
    }
  }
  return {
    title: 'Decode + preprocess throughput over a stream of files (first three sizes above, round robin)',
    columns: ['mode', 'decodes in flight', 'images', 'images/s', 'ms per image'],
    rows,
    notes: [
      'sharp decodes on libuv threads, so with several decodes in flight decoding overlaps the JS preprocessing.',
    ],
  };
}
