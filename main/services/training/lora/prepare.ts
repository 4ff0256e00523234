// The run's first stages: settings, paths and run record (openRun); tokenizer, pairs and resolution
// (prepareRun); every image's latent distribution and every caption's text states (encodeRun).
import path from 'node:path';
import { SessionCache } from '../../../engine/runtime';
import { vaeScaleFactor } from '../../../models/sd';
import { ClipTokenizer } from '../../../tokenizer';
import { loadSdModel, type SdModel } from '../../diffusion/loader';
import { alphasCumprodFor } from '../../diffusion/schedulers';
import { parseTrainingConfig, type LoraTrainingConfig, type LoraTrainingInput } from './config';
import { loadDataset } from './dataset';
import { encodeCaptions, encodeImages } from './encode';
import { writeRunRecord, type TrainingRunRecord } from './history';
import type {
  EncodedRun,
  OpenRun,
  PreparedRun,
  RunPaths,
  TrainingOptions,
  TrainingProgress,
} from './run-state';

function runId(config: LoraTrainingConfig): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  return `${stamp}-${path.basename(config.out, path.extname(config.out))}`;
}

function runPaths(config: LoraTrainingConfig): RunPaths {
  const outDir = path.dirname(path.resolve(config.out));
  return {
    outDir,
    workDir: config.workDir ?? path.join(outDir, '.hps-train-cache'),
    checkpointDir: config.checkpointDir ?? `${path.resolve(config.out)}.checkpoints`,
    historyDir:
      config.historyDir ??
      ('library' in config.data
        ? path.join(config.data.library, 'training-runs')
        : path.join(outDir, 'training-runs')),
  };
}

/** Validates the settings, records the run as running and opens the model; the caller closes it. */
export async function openRun(input: LoraTrainingInput, options: TrainingOptions): Promise<OpenRun> {
  const config = parseTrainingConfig(input);
  const paths = runPaths(config);
  const record: TrainingRunRecord = {
    id: runId(config),
    status: 'running',
    config,
    startedAt: new Date().toISOString(),
    updatedAt: '',
    step: 0,
    totalSteps: config.steps,
  };
  const runFile = await writeRunRecord(paths.historyDir, record);
  const sessions = options.sessions ?? new SessionCache();
  const model = await loadSdModel(config.model);
  return {
    config,
    options,
    emit: (event: TrainingProgress) => options.onProgress?.(event),
    paths,
    record,
    runFile,
    model,
    base: { ep: config.ep, sessions, workDir: paths.workDir },
  };
}

/** Latent size of the training resolution, which must divide into the UNet's deepest level. */
function latentSizeFor(model: SdModel, resolution: number): number {
  const scale = vaeScaleFactor(model.vae.config);
  const multiple = scale * 2 ** (model.unet.config.blockOutChannels.length - 1);
  if (resolution % multiple !== 0)
    throw new Error(`resolution must be a multiple of ${multiple} for this model, got ${resolution}`);
  return resolution / scale;
}

export async function prepareRun(run: OpenRun): Promise<PreparedRun> {
  const { config, model, emit } = run;
  emit({ phase: 'preparing', step: 0, totalSteps: config.steps, message: 'reading pairs' });
  const vocab = config.vocab ?? model.tokenizerPath;
  if (!vocab)
    throw new Error(
      `${config.model} has no tokenizer/ folder: pass a vocabulary (bpe_simple_vocab_16e6.txt.gz or a tokenizer folder)`,
    );
  const tokenizer = await ClipTokenizer.load(vocab, { cleaning: 'transformers' });
  const dataset = await loadDataset(config, run.paths.workDir);
  emit({ phase: 'preparing', step: 0, totalSteps: config.steps, message: dataset.summary });
  return { ...run, tokenizer, dataset, latentSize: latentSizeFor(model, config.resolution) };
}

export async function encodeRun(run: PreparedRun): Promise<EncodedRun> {
  const { config, model, dataset, base } = run;
  const { signal } = run.options;
  const images = [
    ...dataset.samples,
    ...dataset.regularization,
    ...dataset.pairs.flatMap((p) => [p.chosen, p.rejected]),
  ];
  run.emit({
    phase: 'preparing',
    step: 0,
    totalSteps: config.steps,
    message: `encoding ${new Set(images.map((i) => i.image)).size} images`,
  });
  const files = images.map((i) => i.image);
  const latentsDir = path.join(run.paths.workDir, 'latents');
  const latents = await encodeImages(model, files, config.resolution, base, latentsDir, signal);
  const captions = await encodeCaptions(
    model,
    run.tokenizer,
    images.map((i) => i.caption),
    base,
    signal,
  );
  const data = {
    latents,
    captions,
    sequence: model.textEncoder.config.contextLength,
    alphasCumprod: alphasCumprodFor(model.scheduler),
    scalingFactor: model.vae.config.scalingFactor,
    predictionType: model.scheduler.predictionType,
  };
  return { ...run, data };
}
