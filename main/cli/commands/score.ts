import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import {
  EXECUTION_PROVIDERS,
  SCORER_KINDS,
  type ExecutionProvider,
  type ScorerKind,
} from '../../contract/names';
import {
  createScorer,
  isScoreError,
  KIND_SPECS,
  type ScoreProgress,
  type ScoreRow,
} from '../../services/scoring';
import { CliError } from '../errors';
import { oneOf, parseNonEmpty } from '../options';

interface ScoreCliOptions {
  kind: ScorerKind;
  model: string;
  head?: string;
  vocab?: string;
  prompt: string[];
  ep: ExecutionProvider;
  batch: number;
  json?: boolean;
}

const IMAGE_EXTENSIONS: ReadonlySet<string> = new Set([
  '.png',
  '.jpg',
  '.jpeg',
  '.webp',
  '.avif',
  '.gif',
  '.tif',
  '.tiff',
  '.bmp',
]);

function parseBatch(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 1024)
    throw new InvalidArgumentError('expected a batch size from 1 to 1024.');
  return n;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function registerScore(program: Command): void {
  const kinds = SCORER_KINDS.map((k) => `  ${k.padEnd(10)} ${KIND_SPECS[k].description}`).join('\n');
  program
    .command('score')
    .description(
      'Score images against prompts with HPS v1, HPS v2/v2.1, CLIP score, PickScore, or the LAION aesthetic head.',
    )
    .requiredOption('--kind <kind>', `scorer: ${SCORER_KINDS.join(' | ')}`, oneOf(SCORER_KINDS))
    .requiredOption(
      '--model <checkpoint>',
      'CLIP checkpoint file or folder (aesthetic: the ViT-L/14 CLIP)',
      parseNonEmpty,
    )
    .option('--head <file>', 'aesthetic only: the LAION MLP weights (.pth)', parseNonEmpty)
    .option(
      '--vocab <fileOrDir>',
      'bpe_simple_vocab_16e6.txt.gz, or an HF tokenizer folder (vocab.json + merges.txt)',
      parseNonEmpty,
    )
    .option('--prompt <text>', 'a prompt (repeat for several; not used by aesthetic)', collect, [])
    .option(
      '--ep <ep>',
      `execution provider: ${EXECUTION_PROVIDERS.join(' | ')}`,
      oneOf(EXECUTION_PROVIDERS),
      'cpu',
    )
    .option('--batch <n>', 'images per inference run', parseBatch, 8)
    .option('--json', 'print one JSON array on stdout')
    .argument('<images...>', 'image files or folders (folders: their image files, sorted)')
    .addHelpText(
      'after',
      `
Kinds:
${kinds}

Output (--json): one array with {"image", "prompt", "cosine", "score"} per (image, prompt) (PickScore adds
"probability"; aesthetic gives {"image", "score"}), and {"image", "error"} for an image that cannot be read.
Progress goes to stderr. Exits with status 1 only when no image could be scored.

Examples:
  $ hps-studio score --kind hps-v2 --model HPS_v2.1_compressed.pt --vocab bpe_simple_vocab_16e6.txt.gz \\
      --prompt "a cat with two horns" --json out/*.png
  $ hps-studio score --kind aesthetic --model ViT-L-14.pt --head sac+logos+ava1-l14-linearMSE.pth --json ./images`,
    )
    .action(score);
}

async function expandImages(args: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const arg of args) {
    const info = await stat(arg).catch(() => undefined);
    if (!info?.isDirectory()) {
      out.push(arg);
      continue;
    }
    const names = (await readdir(arg))
      .filter((n) => IMAGE_EXTENSIONS.has(path.extname(n).toLowerCase()))
      .sort();
    out.push(...names.map((n) => path.join(arg, n)));
  }
  return out;
}

function progressLine(p: ScoreProgress): string {
  return `scoring: ${p.done}/${p.total} images (${p.cached} cached, ${p.failed} unreadable)`;
}

async function score(imageArgs: string[], options: ScoreCliOptions): Promise<void> {
  const spec = KIND_SPECS[options.kind];
  if (!spec.imageOnly && options.prompt.length === 0)
    throw new CliError(`--kind ${options.kind} needs at least one --prompt.`);
  if (spec.imageOnly && !options.head)
    throw new CliError('--kind aesthetic needs --head (the LAION MLP .pth).');
  if (!spec.imageOnly && !options.vocab) throw new CliError(`--kind ${options.kind} needs --vocab.`);
  const images = await expandImages(imageArgs);
  if (images.length === 0)
    throw new CliError('no images to score (folders are searched for image files by extension).');
  const warn = (message: string) => console.error(`hps-studio: warning: ${message}`);
  console.error(`loading ${options.kind} from ${options.model} on ${options.ep}`);
  const scorer = await createScorer({
    kind: options.kind,
    model: options.model,
    head: options.head,
    vocab: options.vocab,
    ep: options.ep,
    onWarning: warn,
  }).catch((error: Error) => {
    throw new CliError(error.message);
  });
  let rows: ScoreRow[];
  try {
    const tty = process.stderr.isTTY;
    rows = await scorer.score(images, spec.imageOnly ? [] : options.prompt, {
      batchSize: options.batch,
      onProgress: (p) => process.stderr.write(tty ? `\r${progressLine(p)}` : `${progressLine(p)}\n`),
    });
    if (tty) process.stderr.write('\n');
  } finally {
    await scorer.close();
  }
  for (const row of rows) if (isScoreError(row)) warn(`${row.image}: ${row.error}`);
  if (options.json) process.stdout.write(`${JSON.stringify(rows)}\n`);
  else
    for (const row of rows)
      console.log(
        isScoreError(row)
          ? `${row.image}\terror: ${row.error}`
          : `${row.image}\t${row.prompt ?? ''}\t${row.score.toFixed(4)}`,
      );
  if (rows.every(isScoreError)) process.exitCode = 1;
}
