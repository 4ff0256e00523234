// The generation worker's task: each worker keeps its own WarmPipelines (made once by createTasks), so a
// new prompt, seed or LoRA scale costs only sampling; step previews go out as PNG data URLs. The API process
// scores the images with its loaded scorers (app/generation/generation.ts).
import {
  generateImages,
  type GeneratedFiles,
  type GenerateImagesRequest,
} from '../../services/diffusion/generate-images';
import { WarmPipelines, type WarmPipelineSpec } from '../../services/diffusion/warm-pipelines';
import type { ChannelTask } from './task-worker';

/** One request: the sampling settings, the folder for the PNGs, and the warm pipeline (model, vocab, EP and
 *  graph cache) that runs it. */
export type GenerateTaskInput = Omit<GenerateImagesRequest, 'signal' | 'onProgress' | 'onPreview'> &
  WarmPipelineSpec;

export type GenerateTaskEvent =
  | { type: 'progress'; step: number; total: number }
  | { type: 'preview'; step: number; total: number; dataUrl: string };

export type GenerateTaskOutput = GeneratedFiles;

/** Called once per worker (task-entry.mjs): its pipelines stay warm for every request that worker runs. */
export function createTasks(): {
  generate: ChannelTask<GenerateTaskInput, GenerateTaskOutput, GenerateTaskEvent>;
} {
  const pipelines = new WarmPipelines();
  return {
    generate: ({ model, vocab, ep, workDir, ...request }, channel) =>
      pipelines.run({ model, vocab, ep, workDir }, channel.signal, (pipe) =>
        generateImages(pipe, {
          ...request,
          signal: channel.signal,
          onProgress: ({ step, total }) => channel.emit({ type: 'progress', step, total }),
          onPreview: ({ step, total, png }) =>
            channel.emit({
              type: 'preview',
              step,
              total,
              dataUrl: `data:image/png;base64,${png.toString('base64')}`,
            }),
        }),
      ),
  };
}
