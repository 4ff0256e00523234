import os from 'node:os';
import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import {
  EXECUTION_PROVIDERS,
  SCHEDULER_NAMES,
  type ExecutionProvider,
  type SchedulerName,
} from '../../contract/names';
import { generateImages } from '../../services/diffusion/generate-images';
import { SdPipeline, type LoraRequest } from '../../services/diffusion/pipeline';
import { CliError } from '../errors';
import { oneOf, parseNonEmpty } from '../options';

interface GenerateCliOptions {
  model: string;
  vocab?: string;
  prompt: string;
  negative: string;
  steps: number;
  cfg: number;
  seed: number;
  scheduler: SchedulerName;
  width?: number;
  height?: number;
  batch: number;
  lora: LoraRequest[];
  ep: ExecutionProvider;
  out: string;
}

function integerIn(min: number, max: number, what: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < min || n > max)
      throw new InvalidArgumentError(`expected ${what} from ${min} to ${max}.`);
    return n;
  };
}

function parseCfg(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0)
    throw new InvalidArgumentError('expected a non-negative number.');
  return n;
}

/** FILE[:SCALE]; a suffix that is not a number belongs to the path (C:\\ on Windows). */
function collectLora(value: string, previous: LoraRequest[]): LoraRequest[] {
  const colon = value.lastIndexOf(':');
  const suffix = colon > 0 ? value.slice(colon + 1) : '';
  const scale = suffix !== '' && Number.isFinite(Number(suffix)) ? Number(suffix) : undefined;
  const file = scale === undefined ? value : value.slice(0, colon);
  if (file.trim() === '') throw new InvalidArgumentError('expected FILE or FILE:SCALE.');
  return [...previous, { file, scale: scale ?? 1 }];
}

function graphCacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'hps-studio', 'sd-graphs');
}

export function registerGenerate(program: Command): void {
  program
    .command('generate')
    .description(
      'Generate images with a Stable Diffusion 1.x/2.x model (diffusers folder or single-file checkpoint).',
    )
    .requiredOption(
      '--model <dirOrFile>',
      'diffusers folder (unet/, vae/, text_encoder/) or .safetensors/.ckpt single file',
      parseNonEmpty,
    )
    .option(
      '--vocab <fileOrDir>',
      'tokenizer when the model has no tokenizer/: bpe_simple_vocab_16e6.txt.gz or an HF tokenizer folder',
      parseNonEmpty,
    )
    .requiredOption('--prompt <text>', 'the prompt (longer than 77 tokens: encoded in 77-token windows)')
    .option('--negative <text>', 'negative prompt (e.g. "Weird image. ")', '')
    .option('--steps <n>', 'sampling steps', integerIn(1, 1000, 'a step count'), 50)
    .option('--cfg <x>', 'classifier-free guidance scale (≤ 1 disables guidance)', parseCfg, 7.5)
    .option(
      '--seed <s>',
      'seed of image 0 (image i of a batch uses seed + i)',
      integerIn(0, Number.MAX_SAFE_INTEGER, 'a seed'),
      0,
    )
    .option('--scheduler <name>', `sampler: ${SCHEDULER_NAMES.join(' | ')}`, oneOf(SCHEDULER_NAMES), 'pndm')
    .option(
      '--width <w>',
      'image width (a multiple of the VAE scale factor; default: the model size)',
      integerIn(1, 8192, 'a width'),
    )
    .option('--height <h>', 'image height (default: the model size)', integerIn(1, 8192, 'a height'))
    .option('--batch <n>', 'images to generate', integerIn(1, 64, 'a batch size'), 1)
    .option(
      '--lora <file[:scale]>',
      'LoRA file (kohya or PEFT/diffusers) with an optional strength; repeat for several',
      collectLora,
      [],
    )
    .option(
      '--ep <ep>',
      `execution provider: ${EXECUTION_PROVIDERS.join(' | ')}`,
      oneOf(EXECUTION_PROVIDERS),
      'cpu',
    )
    .requiredOption('--out <dir>', 'folder for the PNG files (created if missing)', parseNonEmpty)
    .addHelpText(
      'after',
      `
Output: one JSON array on stdout, [{"file", "seed", "prompt", "negative", "steps", "cfg", "scheduler"}] per
image; progress goes to stderr. Lowered graphs are cached under ${graphCacheDir()}.

Examples:
  $ hps-studio generate --model ./stable-diffusion-v1-5 --prompt "a red cube on a blue table" \\
      --negative "Weird image. " --seed 11 --steps 50 --out ./out
  $ hps-studio generate --model sd15.safetensors --prompt "a cat" --lora hps-lora.safetensors:0.8 --out ./out`,
    )
    .action(generate);
}

async function generate({ model, vocab, ep, out, lora, ...settings }: GenerateCliOptions): Promise<void> {
  if ((settings.width === undefined) !== (settings.height === undefined))
    throw new CliError('give --width and --height together.');
  const pipe = await SdPipeline.open(model, { ep, vocab, workDir: graphCacheDir() }).catch((error: Error) => {
    throw new CliError(error.message);
  });
  try {
    const tty = process.stderr.isTTY;
    const controller = new AbortController();
    process.once('SIGINT', () => controller.abort());
    const { images, loraWarnings } = await generateImages(pipe, {
      ...settings,
      loras: lora,
      outDir: out,
      signal: controller.signal,
      onProgress: (e) =>
        process.stderr.write(
          `${tty ? '\r' : ''}step ${e.step}/${e.total} (t = ${e.timestep})${tty ? '' : '\n'}`,
        ),
    }).catch((error: Error) => {
      throw new CliError(error.message);
    });
    if (tty) process.stderr.write('\n');
    for (const warning of loraWarnings) console.error(`hps-studio: warning: ${warning}`);
    const { prompt, negative, steps, cfg, scheduler } = settings;
    const rows = images.map(({ file, seed }) => ({ file, seed, prompt, negative, steps, cfg, scheduler }));
    process.stdout.write(`${JSON.stringify(rows)}\n`);
  } finally {
    await pipe.close();
  }
}
