import { appendFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import {
  EXECUTION_PROVIDERS,
  TRAINABLE_KINDS,
  type ExecutionProvider,
  type TrainableKind,
} from '../../contract/names';
import { Library } from '../../services/library';
import { DEFAULT_SETTINGS } from '../../services/preference-training';
import { trainAndSaveScorer } from '../../services/preference-training/train-and-save';
import { CliError } from '../errors';
import { oneOf, parseNonEmpty } from '../options';

interface TrainScorerCliOptions {
  base: string;
  kind: TrainableKind;
  vocab: string;
  library: string;
  out: string;
  log?: string;
  blocks: number;
  steps: number;
  lr: number;
  batch: number;
  warmup: number;
  weightDecay: number;
  seed: number;
  heldOut: number;
  loraRank: number;
  loraAlpha?: number;
  ep: ExecutionProvider;
}

function integer(min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < min || n > max)
      throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}.`);
    return n;
  };
}

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('expected a number ≥ 0.');
  return n;
}

function fraction(value: string): number {
  const n = Number(value);
  if (!(n > 0 && n < 1)) throw new InvalidArgumentError('expected a number between 0 and 1.');
  return n;
}

export function registerTrainScorer(program: Command): void {
  const d = DEFAULT_SETTINGS;
  program
    .command('train-scorer')
    .description(
      "Fine-tune a CLIP-family scorer on a library's labels and report held-out accuracy before and after.",
    )
    .requiredOption(
      '--base <checkpoint>',
      'CLIP-family checkpoint to start from (file or folder)',
      parseNonEmpty,
    )
    .addOption(
      new Option('--kind <kind>', "the base's kind (preprocessing, activation, score)")
        .choices(TRAINABLE_KINDS)
        .makeOptionMandatory(),
    )
    .requiredOption(
      '--vocab <fileOrDir>',
      'bpe_simple_vocab_16e6.txt.gz, or an HF tokenizer folder',
      parseNonEmpty,
    )
    .requiredOption('-l, --library <dir>', 'library folder with labelled comparisons', parseNonEmpty)
    .requiredOption('--out <file>', 'where to write the trained scorer (.safetensors)', parseNonEmpty)
    .option(
      '--log <file.jsonl>',
      'one JSON object per step: {"step","loss","lr","logitScale"}',
      parseNonEmpty,
    )
    .option('--blocks <k>', 'last blocks of each tower to train', integer(0, 128), d.blocks)
    .option('--steps <n>', 'optimizer steps', integer(1, 1_000_000), d.steps)
    .option('--lr <x>', 'peak learning rate (AdamW)', positiveNumber, d.lr)
    .option('--batch <n>', 'comparisons per step', integer(1, 4096), d.batchSize)
    .option(
      '--warmup <n>',
      'linear warmup steps before the cosine decay',
      integer(0, 1_000_000),
      d.warmupSteps,
    )
    .option('--weight-decay <x>', 'AdamW weight decay of weight matrices', positiveNumber, d.weightDecay)
    .option('--seed <n>', 'seed of the held-out split and the shuffling', integer(0, 2 ** 31 - 1), d.seed)
    .option(
      '--held-out <fraction>',
      'share of the labelled prompts held out for evaluation',
      fraction,
      d.testFraction,
    )
    .option(
      '--lora-rank <r>',
      'LoRA of this rank on every attention projection (plus the head) instead of --blocks',
      integer(0, 1024),
      d.loraRank,
    )
    .option(
      '--lora-alpha <x>',
      'LoRA scale numerator (scale = alpha / rank; default: the rank)',
      positiveNumber,
    )
    .option(
      '--ep <ep>',
      `execution provider: ${EXECUTION_PROVIDERS.join(' | ')}`,
      oneOf(EXECUTION_PROVIDERS),
      'cpu',
    )
    .addHelpText(
      'after',
      `
Trains the last k blocks of both towers, ln_post, ln_final, both projections and logit_scale with the HPS v2 /
PickScore loss (exp(logit_scale)·cosine over a comparison's images, cross-entropy toward the chosen image,
ties as equal targets, logit_scale clamped at ln 100), or with --lora-rank, LoRA on every attention projection
of both towers plus that head (merged into the saved weights). Held-out comparisons are chosen by prompt.
Progress goes to stderr; the summary (held-out accuracy before and after under both tie conventions, with
95 % bootstrap intervals, next to the library's stored scorers) is one JSON object on stdout. The output file
scores like its base: hps-studio score --kind <kind> --model <out>.

Example:
  $ hps-studio train-scorer --base HPS_v2.1_compressed.pt --kind hps-v2 --vocab bpe_simple_vocab_16e6.txt.gz \\
      --library ./lib --blocks 2 --steps 500 --lr 1e-5 --out mine.safetensors --log train.jsonl`,
    )
    .action(trainScorer);
}

async function trainScorer(options: TrainScorerCliOptions): Promise<void> {
  const libraryDir = resolve(options.library);
  if (!Library.exists(libraryDir))
    throw new CliError(`no library at ${libraryDir} (expected library.sqlite there).`);
  const settings = {
    blocks: options.blocks,
    steps: options.steps,
    lr: options.lr,
    batchSize: options.batch,
    warmupSteps: options.warmup,
    weightDecay: options.weightDecay,
    seed: options.seed,
    testFraction: options.heldOut,
    loraRank: options.loraRank,
    loraAlpha: options.loraAlpha ?? (options.loraRank || DEFAULT_SETTINGS.loraAlpha),
  };
  if (options.log) await writeFile(options.log, '');
  const library = await Library.open(libraryDir);
  try {
    const { report, header } = await trainAndSaveScorer({
      library,
      kind: options.kind,
      basePath: options.base,
      out: options.out,
      vocab: options.vocab,
      settings,
      ep: options.ep,
      onProgress: (message) => console.error(message),
      onStep: async (step) => {
        console.error(
          `step ${step.step}/${options.steps}: loss ${step.loss.toFixed(4)}, lr ${step.lr.toExponential(2)}`,
        );
        if (options.log) await appendFile(options.log, `${JSON.stringify(step)}\n`);
      },
    }).catch((error: Error) => {
      throw new CliError(error.message);
    });
    console.error(`saved ${options.out}`);
    process.stdout.write(
      `${JSON.stringify({ out: options.out, kind: header.kind, base: header.base, ...report, losses: undefined })}\n`,
    );
  } finally {
    await library.close();
  }
}
