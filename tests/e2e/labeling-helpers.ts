// Shared by the labeling e2e test and the compare bench: a folder of generated images with prompts, a
// `serve` child process, and Chromium.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(ROOT, 'bin/hps-studio.mjs');

/**
 * `prompts` prompts × `perPrompt` distinct PNGs (different colours and a stripe, so no two share a hash).
 * `noise` adds Gaussian noise so files are photo-sized and decoding costs what it does for real images.
 */
export async function writeImageFolder(
  dir: string,
  prompts: number,
  perPrompt: number,
  options: { size?: number; noise?: boolean } = {},
): Promise<string> {
  const size = options.size ?? 192;
  mkdirSync(join(dir, 'images'), { recursive: true });
  const rows = ['image,prompt'];
  for (let p = 0; p < prompts; p++) {
    for (let i = 0; i < perPrompt; i++) {
      const name = `p${p}-${i}.png`;
      const stripe = await sharp({
        create: {
          width: 96,
          height: 24,
          channels: 3,
          background: { r: 250 - i * 70, g: 240, b: 40 + p * 20 },
        },
      })
        .png()
        .toBuffer();
      const png = await sharp({
        create: {
          width: size,
          height: size,
          channels: 3,
          background: { r: (p * 37) % 256, g: 60 + i * 60, b: 200 - p * 15 },
          ...(options.noise ? { noise: { type: 'gaussian', mean: 128, sigma: 40 } } : {}),
        },
      })
        .composite([{ input: stripe, top: 20 + i * 50, left: 48 }])
        .png()
        .toBuffer();
      writeFileSync(join(dir, 'images', name), png);
      rows.push(
        `images/${name},"a ${['red', 'green', 'blue', 'golden', 'misty'][p % 5]} landscape, study ${p}"`,
      );
    }
  }
  const promptsFile = join(dir, 'prompts.csv');
  writeFileSync(promptsFile, rows.join('\n') + '\n');
  return promptsFile;
}

export function cli(args: string[], env: NodeJS.ProcessEnv = process.env): string {
  const result = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: 'utf8', env });
  if (result.status !== 0) throw new Error(`hps-studio ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout;
}

/** Runs `annotators add` and returns the token (the last line of its output). */
export function addAnnotator(
  library: string,
  name: string,
  role: 'admin' | 'annotator',
  env?: NodeJS.ProcessEnv,
): string {
  return cli(['annotators', 'add', name, '--library', library, '--role', role], env)
    .trim()
    .split('\n')
    .at(-1)!;
}

export interface Serve {
  url: string;
  child: ChildProcess;
  /** Everything it printed so far. */
  output(): string;
}

/** `hps-studio serve` on a free port; `env` carries HPS_DATABASE_URL / HPS_QUEUE_URL for a team server. */
export function startServe(library: string, env: NodeJS.ProcessEnv = process.env): Promise<Serve> {
  const child = spawn(process.execPath, [CLI, 'serve', '--library', library, '--port', '0'], {
    cwd: ROOT,
    env,
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /Open (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
      if (m) resolve({ url: m[1]!, child, output: () => out });
    });
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${out}`)));
  });
}

export interface Worker {
  child: ChildProcess;
  output(): string;
}

/** `hps-studio worker` (queue and database from `env`), resolved once it says it is ready. */
export function startWorker(library: string, env: NodeJS.ProcessEnv, args: string[] = []): Promise<Worker> {
  const child = spawn(process.execPath, [CLI, 'worker', '--library', library, ...args], { cwd: ROOT, env });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('Worker ready')) resolve({ child, output: () => out });
    });
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => reject(new Error(`worker exited with ${code}: ${out}`)));
  });
}

export { ensureRendererBuilt, launchChromium } from './browser-harness';
