import { InvalidArgumentError, type Command } from 'commander';
import {
  EXECUTION_PROVIDERS,
  LORA_FORMATS,
  LORA_RECIPES,
  type ExecutionProvider,
  type LoraFormat,
  type LoraRecipe,
} from '../../contract/names';
import { startTraining, type LoraTrainingInput, type TrainingProgress } from '../../services/training/lora';
import { CliError } from '../errors';
import { oneOf, parseNonEmpty } from '../options';

interface TrainLoraCliOptions {
  recipe: LoraRecipe;
  model: string;
  vocab?: string;
  library?: string;
  pairs?: string;
  pairsBy?: string;
  minMargin?: number;
  regularization?: string;
  regularizationRatio?: number;
  steps: number;
  rank?: number;
  lr?: number;
  batch?: number;
  resolution?: number;
  gradientCheckpointing: boolean;
  seed?: number;
  out: string;
  log?: string;
  format?: LoraFormat;
  checkpointEvery?: number;
  resume: boolean;
  ep: ExecutionProvider;
  json?: boolean;
}

function integerParser(min: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < min) throw new InvalidArgumentError(`expected an integer ≥ ${min}.`);
    return n;
  };
}

function parsePositiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number.');
  return n;
}

function parseNonNegativeNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0)
    throw new InvalidArgumentError('expected a number ≥ 0.');
  return n;
}

function parseRatio(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 0.95)
    throw new InvalidArgumentError('expected a number from 0 to 0.95.');
  return n;
}

export function registerTrainLora(program: Command): void {
  program
    .command('train-lora')
    .description('Fine-tune a Stable Diffusion LoRA from labeled pairs: the HPS recipe or Diffusion-DPO.')
    .requiredOption(
      '--recipe <recipe>',
      'hps (chosen under the prompt, rejected under "Weird image. " + prompt) | dpo (Diffusion-DPO, β 5000)',
      oneOf(LORA_RECIPES),
    )
    .requiredOption('--model <dirOrFile>', 'diffusers folder or single-file checkpoint', parseNonEmpty)
    .option(
      '--vocab <fileOrDir>',
      "tokenizer: bpe_simple_vocab_16e6.txt.gz or a tokenizer folder (default: the model's tokenizer/)",
      parseNonEmpty,
    )
    .option('--library <dir>', "train on a library's preference judgments", parseNonEmpty)
    .option(
      '--pairs <file.jsonl>',
      'train on a pairs export: prompt, chosen, rejected (relative paths), tie (skipped)',
      parseNonEmpty,
    )
    .option(
      '--pairs-by <scorerId>',
      "with --library: pairs chosen by a scorer's stored scores (best over worst image per comparison) instead of the human labels",
      parseNonEmpty,
    )
    .option(
      '--min-margin <x>',
      'with --pairs-by: skip comparisons whose best and worst scores differ by less (default 0)',
      parseNonNegativeNumber,
    )
    .requiredOption('--steps <n>', 'optimizer steps', integerParser(1))
    .option('--rank <r>', 'LoRA rank (default 4; alpha = rank)', integerParser(1))
    .option('--lr <x>', 'AdamW learning rate (default 1e-4)', parsePositiveNumber)
    .option('--batch <b>', 'images (hps) or pairs (dpo) per step, accumulated (default 1)', integerParser(1))
    .option('--resolution <px>', 'training resolution, centre crop (default 512)', integerParser(8))
    .option(
      '--no-gradient-checkpointing',
      'keep every UNet activation for the backward pass: ≈ 20% faster steps, ≈ 4 GiB more memory at 512 px',
    )
    .option(
      '--regularization <dir>',
      'HPS recipe: also train on the images of this folder under their same-named .txt captions',
      parseNonEmpty,
    )
    .option(
      '--regularization-ratio <x>',
      'share of the samples drawn from --regularization (0 to 0.95, default 0.25)',
      parseRatio,
    )
    .option(
      '--seed <s>',
      'seed for initialisation, data order, noise and timesteps (default 0)',
      integerParser(0),
    )
    .requiredOption('--out <file>', 'output LoRA (.safetensors)', parseNonEmpty)
    .option(
      '--log <file.jsonl>',
      'one JSON object per step: step, loss, lr, gradNorm, stepsPerSecond',
      parseNonEmpty,
    )
    .option('--format <format>', 'kohya (A1111/ComfyUI, default) | peft (diffusers)', oneOf(LORA_FORMATS))
    .option(
      '--checkpoint-every <n>',
      'checkpoint every N steps into <out>.checkpoints (default 100)',
      integerParser(0),
    )
    .option('--no-resume', 'start over even when <out>.checkpoints holds a checkpoint of the same settings')
    .option(
      '--ep <ep>',
      `execution provider: ${EXECUTION_PROVIDERS.join(' | ')}`,
      oneOf(EXECUTION_PROVIDERS),
      'cpu',
    )
    .option('--json', 'print progress as JSON lines')
    .addHelpText(
      'after',
      `
A run interrupted (Ctrl-C, crash) continues from its last checkpoint when started again with the same settings.
--pairs-by takes a scorer id as the library stores its scores (the live readouts' ids, e.g. hps-v2.1; the desktop
app lists them as "Pairs from" on the Train page); that scorer must have scored the library's images first.

Examples:
  $ hps-studio train-lora --recipe hps --model ./sd-v1-5 --library ~/hps-library --steps 1000 --out hps.safetensors
  $ hps-studio train-lora --recipe dpo --model sd15.safetensors --pairs export/pairs.jsonl --steps 500 \\
      --resolution 512 --lr 1e-5 --out dpo.safetensors --log dpo.jsonl
  $ hps-studio train-lora --recipe dpo --model ./sd-v1-5 --library ~/hps-library --pairs-by hps-v2.1 \\
      --min-margin 0.005 --steps 500 --out dpo-by-hps.safetensors`,
    )
    .action(trainLoraCommand);
}

function printer(json: boolean | undefined): (event: TrainingProgress) => void {
  return (event) => {
    if (json) return console.log(JSON.stringify(event));
    if (event.phase === 'training') {
      const eta =
        event.etaSeconds !== undefined && Number.isFinite(event.etaSeconds)
          ? ` eta ${Math.round(event.etaSeconds)}s`
          : '';
      console.log(
        `step ${event.step}/${event.totalSteps} loss ${event.loss!.toFixed(5)} lr ${event.lr!.toExponential(2)} ${event.stepsPerSecond!.toFixed(2)} steps/s${eta}`,
      );
    } else if (event.message) console.log(event.message);
  };
}

function libraryData(options: TrainLoraCliOptions): LoraTrainingInput['data'] {
  return {
    library: options.library!,
    ...(options.pairsBy !== undefined
      ? { pairsBy: { scorer: options.pairsBy, minMargin: options.minMargin } }
      : {}),
  };
}

async function trainLoraCommand(options: TrainLoraCliOptions): Promise<void> {
  if ((options.library === undefined) === (options.pairs === undefined))
    throw new CliError('give exactly one of --library DIR or --pairs FILE.jsonl');
  if (options.pairsBy !== undefined && options.library === undefined)
    throw new CliError('--pairs-by chooses pairs from a library: give --library DIR');
  if (options.minMargin !== undefined && options.pairsBy === undefined)
    throw new CliError('--min-margin applies with --pairs-by SCORER_ID only');
  if (options.regularizationRatio !== undefined && options.regularization === undefined)
    throw new CliError('--regularization-ratio applies with --regularization DIR only');
  const job = startTraining(
    {
      recipe: options.recipe,
      model: options.model,
      vocab: options.vocab,
      data: options.library !== undefined ? libraryData(options) : { pairs: options.pairs! },
      steps: options.steps,
      rank: options.rank,
      lr: options.lr,
      batch: options.batch,
      resolution: options.resolution,
      gradientCheckpointing: options.gradientCheckpointing,
      ...(options.regularization !== undefined
        ? { regularization: { folder: options.regularization, ratio: options.regularizationRatio ?? 0.25 } }
        : {}),
      seed: options.seed,
      out: options.out,
      log: options.log,
      format: options.format,
      checkpointEvery: options.checkpointEvery,
      resume: options.resume,
      ep: options.ep,
    },
    { onProgress: printer(options.json) },
  );
  const stop = () => job.cancel();
  process.once('SIGINT', stop);
  try {
    const result = await job.done;
    if (result.status === 'cancelled') {
      console.log(`cancelled at step ${result.step}; run the same command again to resume`);
      process.exitCode = 130;
    } else
      console.log(
        `wrote ${result.output} (${result.step} steps${result.resumedFrom ? `, resumed from ${result.resumedFrom}` : ''})`,
      );
  } finally {
    process.off('SIGINT', stop);
  }
}
