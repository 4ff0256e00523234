// Runs in the generation worker: keeps SD pipelines (and their sessions) warm between requests, so a new
// prompt, seed or LoRA scale costs only sampling; posts step previews as small PNGs. The API process scores
// the images with its loaded scorers (handlers/generate.ts).
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { SdPipeline, writePng } from '../../../services/diffusion/pipeline';
import type { RgbPreview } from '../../../services/diffusion/preview';
import type { SchedulerName } from '../../../services/diffusion/schedulers';
import type { ExecutionProvider } from '../../../engine/runtime';
import type { TaskChannel } from './task-worker';

export interface GenerateTaskInput {
  model: string;
  vocab?: string;
  prompt: string;
  negative: string;
  steps: number;
  cfg: number;
  seed: number;
  scheduler: SchedulerName;
  width: number;
  height: number;
  batch: number;
  loras: { file: string; scale: number }[];
  ep: ExecutionProvider;
  /** Absolute folder the PNGs go to. */
  outDir: string;
  /** The lowered-graph cache. */
  workDir: string;
}

export type GenerateTaskEvent =
  | { type: 'progress'; step: number; total: number }
  | { type: 'preview'; step: number; total: number; dataUrl: string };

export interface GenerateTaskOutput {
  images: { file: string; seed: number }[];
  /** One line per LoRA file with modules it could not apply (3×3 LoCon, LoHa, …). */
  loraWarnings: string[];
}

const pipelines = new Map<string, Promise<SdPipeline>>();

function pipelineFor(input: GenerateTaskInput): Promise<SdPipeline> {
  const key = JSON.stringify([input.model, input.vocab, input.ep]);
  let pipe = pipelines.get(key);
  if (!pipe) {
    pipe = SdPipeline.open(input.model, { ep: input.ep, vocab: input.vocab, workDir: input.workDir });
    // A failed open is not cached: the next request (a fixed path) tries again.
    pipe.catch(() => pipelines.delete(key));
    pipelines.set(key, pipe);
  }
  return pipe;
}

async function previewDataUrl(preview: RgbPreview): Promise<string> {
  const png = await sharp(Buffer.from(preview.data), {
    raw: { width: preview.width, height: preview.height, channels: 3 },
  })
    .png()
    .toBuffer();
  return `data:image/png;base64,${png.toString('base64')}`;
}

// One generation at a time: they would only share the CPU/GPU, and two first runs of a size would build
// the same graphs at once.
let queue: Promise<unknown> = Promise.resolve();

export function generate(
  input: GenerateTaskInput,
  channel: TaskChannel<GenerateTaskEvent>,
): Promise<GenerateTaskOutput> {
  const run = queue.then(() => {
    channel.signal.throwIfAborted();
    return generateNow(input, channel);
  });
  queue = run.catch(() => undefined);
  return run;
}

async function generateNow(
  input: GenerateTaskInput,
  channel: TaskChannel<GenerateTaskEvent>,
): Promise<GenerateTaskOutput> {
  const pipe = await pipelineFor(input);
  const loraWarnings = await loraWarningsOf(pipe, input.loras);
  let previews = Promise.resolve();
  const { images } = await pipe.generate({
    prompt: input.prompt,
    negative: input.negative,
    steps: input.steps,
    cfg: input.cfg,
    seed: input.seed,
    scheduler: input.scheduler,
    width: input.width,
    height: input.height,
    batch: input.batch,
    loras: input.loras,
    signal: channel.signal,
    onProgress: ({ step, total }) => channel.emit({ type: 'progress', step, total }),
    onPreview: (preview, step) => {
      // Encoded in order, off the sampling loop's critical path.
      previews = previews.then(async () =>
        channel.emit({ type: 'preview', step, total: input.steps, dataUrl: await previewDataUrl(preview) }),
      );
    },
  });
  await previews;
  await mkdir(input.outDir, { recursive: true });
  const files = await Promise.all(
    images.map(async (img, i) => {
      const file = path.join(input.outDir, `${i}-seed${img.seed}.png`);
      await writePng(img.image, file);
      return { file, seed: img.seed };
    }),
  );
  return { images: files, loraWarnings };
}

async function loraWarningsOf(pipe: SdPipeline, loras: GenerateTaskInput['loras']): Promise<string[]> {
  const warnings: string[] = [];
  for (const { file } of loras) {
    const { skipped } = await pipe.lora(file);
    if (skipped.length > 0)
      warnings.push(
        `${path.basename(file)}: ${skipped.length} ${skipped.length === 1 ? 'target' : 'targets'} not applied, e.g. ${skipped[0]}`,
      );
  }
  return warnings;
}
