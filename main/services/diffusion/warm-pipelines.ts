// SD pipelines kept open between generations, one per (model, vocabulary, execution provider), so a new
// prompt, seed or LoRA scale costs only sampling. Runs go one at a time: they would only share the CPU/GPU,
// and two first runs of a size would build the same graphs at once.
import type { ExecutionProvider } from '../../contract/names';
import { SdPipeline } from './pipeline';

export interface WarmPipelineSpec {
  model: string;
  vocab?: string;
  ep: ExecutionProvider;
  /** The lowered-graph cache. */
  workDir: string;
}

export class WarmPipelines {
  private readonly pipelines = new Map<string, Promise<SdPipeline>>();
  private queue: Promise<unknown> = Promise.resolve();

  /** Runs `work` on the spec's pipeline (opened on first use) once every earlier run has settled. */
  run<T>(spec: WarmPipelineSpec, signal: AbortSignal, work: (pipe: SdPipeline) => Promise<T>): Promise<T> {
    const run = this.queue.then(async () => {
      signal.throwIfAborted();
      return work(await this.pipeline(spec));
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  private pipeline({ model, vocab, ep, workDir }: WarmPipelineSpec): Promise<SdPipeline> {
    const key = JSON.stringify([model, vocab, ep]);
    let pipe = this.pipelines.get(key);
    if (!pipe) {
      pipe = SdPipeline.open(model, { ep, vocab, workDir });
      // A failed open is not kept: the next run (a fixed path) tries again.
      pipe.catch(() => this.pipelines.delete(key));
      this.pipelines.set(key, pipe);
    }
    return pipe;
  }
}
