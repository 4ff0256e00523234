// Sessions for a preference model in training: frozen prefixes, one step graph per image count, and the
// feature suffixes. The trained weights live here as float32 arrays that AdamW updates in place and every
// run feeds.
import type { Graph } from '../../engine/ir/graph';
import {
  SessionCache,
  openGraphSession,
  type EngineSession,
  type ExecutionProvider,
  type TensorMap,
} from '../../engine/runtime';
import type { ClipConfig } from '../../models/clip';
import { shapeOf, weightOf, type BaseModel } from './base-model';
import {
  IMAGE_FEATURES,
  IMAGE_PROMPT,
  TARGETS,
  TEXT_FEATURES,
  featureGraph,
  loraDown,
  loraTargets,
  loraUp,
  stepGraph,
  textPrefixGraph,
  trainableNames,
  visionPrefixGraph,
  type GraphInputs,
  type LoraSettings,
} from './graphs';
import { mulberry32 } from '../evaluation/bootstrap';
import { EOT, IMAGE_HIDDEN, PIXELS, TEXT_HIDDEN, TOKENS } from './split-towers';

export interface SessionOptions {
  ep?: ExecutionProvider;
  /** LoRA on every attention projection instead of training the last blocks. */
  lora?: LoraSettings;
  /** Seed of the LoRA initialisation. */
  seed?: number;
  workDir: string;
  sessions?: SessionCache;
}

/** Hidden states of prompts after the frozen text blocks, with each prompt's EOT position. */
export interface TextHidden {
  hidden: Float32Array;
  eot: Int32Array;
}

export interface StepResult {
  /** Summed cross-entropy over the comparisons fed. */
  loss: number;
  grads: Record<string, Float32Array>;
  /** [comparisons, images] cosines, comparison-major. */
  cosine: Float32Array;
}

export class PreferenceSessions {
  readonly cfg: ClipConfig;
  readonly trainable: string[];
  readonly lora?: LoraSettings;
  /** The live trained weights (AdamW's parameter set). */
  readonly params: Record<string, Float32Array>;
  private readonly inputs: GraphInputs;
  private readonly opened = new Map<string, Promise<EngineSession>>();
  private readonly ep: ExecutionProvider;
  private readonly cache: SessionCache;
  private readonly workDir: string;

  private readonly shapes: Map<string, number[]>;

  constructor(
    readonly base: BaseModel,
    readonly blocks: number,
    options: SessionOptions,
  ) {
    this.cfg = base.model.config;
    this.lora = options.lora;
    this.trainable = trainableNames(this.cfg, blocks, this.lora);
    this.shapes = new Map(base.shapes);
    this.params = {};
    const random = mulberry32(options.seed ?? 0);
    for (const name of this.trainable)
      this.params[name] = base.weights.has(name)
        ? Float32Array.from(base.weights.get(name)!)
        : this.initLora(name, random);
    const baseWeight = weightOf(base);
    this.inputs = {
      cfg: this.cfg,
      weights: (name) => this.params[name] ?? baseWeight(name),
      shapeOf: (name) => this.shapes.get(name) ?? shapeOf(base)(name),
      trainable: new Set(this.trainable),
      blocks,
      lora: this.lora,
    };
    this.ep = options.ep ?? 'cpu';
    this.cache = options.sessions ?? new SessionCache({ maxIdleSessions: 8 });
    this.workDir = options.workDir;
  }

  /** Pixels [count, 3, S, S] → hidden states [count, tokens, width] after the frozen vision blocks. */
  async imageHidden(pixels: Float32Array, count: number): Promise<Float32Array> {
    const S = this.cfg.vision.imageSize;
    const out = await (
      await this.session('vision-prefix', () => visionPrefixGraph(this.inputs))
    ).run({ [PIXELS]: { dtype: 'float32', data: pixels, dims: [count, 3, S, S] } });
    return out[IMAGE_HIDDEN]!.data as Float32Array;
  }

  /** Token ids [count, L] → hidden states after the frozen text blocks. */
  async textHidden(tokens: Int32Array, eot: Int32Array): Promise<TextHidden> {
    const L = this.cfg.text.contextLength;
    const out = await (
      await this.session('text-prefix', () => textPrefixGraph(this.inputs))
    ).run({ [TOKENS]: { dtype: 'int32', data: tokens, dims: [eot.length, L] } });
    return { hidden: out[TEXT_HIDDEN]!.data as Float32Array, eot };
  }

  /** Loss and gradients of the trained weights for comparisons of `imageCount` images each. */
  async step(
    imageHidden: Float32Array,
    text: TextHidden,
    targets: Float32Array,
    imageCount: number,
  ): Promise<StepResult> {
    const session = await this.session(`step-${imageCount}`, () => stepGraph(this.inputs, imageCount));
    const prompts = text.eot.length;
    const out = await session.run({
      ...this.hiddenFeeds(imageHidden, text),
      [TARGETS]: { dtype: 'float32', data: targets, dims: [prompts, imageCount] },
      [IMAGE_PROMPT]: {
        dtype: 'float32',
        data: promptOneHot(prompts, imageCount),
        dims: [prompts * imageCount, prompts],
      },
      ...this.paramFeeds(),
    });
    const grads = Object.fromEntries(
      this.trainable.map((name) => [name, out[`grad/${name}`]!.data as Float32Array]),
    );
    return { loss: (out.loss!.data as Float32Array)[0]!, grads, cosine: out.cosine!.data as Float32Array };
  }

  /** Unnormalised image features [count, embed] under the current weights. */
  async imageFeatures(imageHidden: Float32Array): Promise<Float32Array> {
    const session = await this.session('vision-features', () => featureGraph(this.inputs, 'vision'));
    const out = await session.run({
      [IMAGE_HIDDEN]: this.imageHiddenTensor(imageHidden),
      ...this.paramFeeds(session),
    });
    return out[IMAGE_FEATURES]!.data as Float32Array;
  }

  /** Unnormalised text features [count, embed] under the current weights. */
  async textFeatures(text: TextHidden): Promise<Float32Array> {
    const session = await this.session('text-features', () => featureGraph(this.inputs, 'text'));
    const out = await session.run({ ...this.textHiddenFeeds(text), ...this.paramFeeds(session) });
    return out[TEXT_FEATURES]!.data as Float32Array;
  }

  /** Shape of a weight or LoRA factor. */
  shape(name: string): number[] {
    return this.inputs.shapeOf(name);
  }

  /**
   * The trained tensors under reference names, ready to save: the trained weights themselves, or under LoRA
   * each adapted weight merged (W + scale · up · down) plus the head.
   */
  mergedWeights(): Record<string, Float32Array> {
    const out: Record<string, Float32Array> = {};
    for (const name of this.trainable)
      if (this.base.weights.has(name)) out[name] = Float32Array.from(this.params[name]!);
    if (!this.lora) return out;
    const scale = this.lora.alpha / this.lora.rank;
    for (const target of loraTargets(this.cfg)) {
      const [rows, cols] = this.shapes.get(target) as [number, number];
      const up = this.params[loraUp(target)]!;
      const down = this.params[loraDown(target)]!;
      const merged = Float32Array.from(this.base.weights.get(target)!);
      for (let r = 0; r < rows; r++)
        for (let k = 0; k < this.lora.rank; k++) {
          const u = scale * up[r * this.lora.rank + k]!;
          if (u !== 0) for (let c = 0; c < cols; c++) merged[r * cols + c]! += u * down[k * cols + c]!;
        }
      out[target] = merged;
    }
    return out;
  }

  /** PEFT's LoRA start: down ~ U(±1/√in) (kaiming-uniform, a = √5), up = 0, so training starts at the base model. */
  private initLora(name: string, random: () => number): Float32Array {
    const target = name.replace(/\.lora_(down|up)$/, '');
    const [out, inFeatures] = this.base.shapes.get(target) as [number, number];
    const rank = this.lora!.rank;
    if (name.endsWith('.lora_up')) {
      this.shapes.set(name, [out, rank]);
      return new Float32Array(out * rank);
    }
    this.shapes.set(name, [rank, inFeatures]);
    const bound = 1 / Math.sqrt(inFeatures);
    return Float32Array.from({ length: rank * inFeatures }, () => (2 * random() - 1) * bound);
  }

  async close(): Promise<void> {
    const sessions = await Promise.all([...this.opened.values()].map((s) => s.catch(() => undefined)));
    this.opened.clear();
    await Promise.all(sessions.map((s) => s?.release() ?? Promise.resolve()));
  }

  /** float32 on any EP: the trained weights and their gradients stay float32 (no silent fallback). */
  private session(key: string, build: () => Graph): Promise<EngineSession> {
    let s = this.opened.get(key);
    if (!s) {
      s = openGraphSession(build(), {
        ep: this.ep,
        precision: 'fp32',
        sessions: this.cache,
        workDir: this.workDir,
      });
      this.opened.set(key, s);
    }
    return s;
  }

  private imageHiddenTensor(hidden: Float32Array) {
    const { grid, width } = this.cfg.vision;
    const tokens = grid * grid + 1;
    return {
      dtype: 'float32' as const,
      data: hidden,
      dims: [hidden.length / (tokens * width), tokens, width],
    };
  }

  private textHiddenFeeds(text: TextHidden): TensorMap {
    const { contextLength, width } = this.cfg.text;
    return {
      [TEXT_HIDDEN]: { dtype: 'float32', data: text.hidden, dims: [text.eot.length, contextLength, width] },
      [EOT]: { dtype: 'int32', data: text.eot, dims: [text.eot.length] },
    };
  }

  private hiddenFeeds(imageHidden: Float32Array, text: TextHidden): TensorMap {
    return { [IMAGE_HIDDEN]: this.imageHiddenTensor(imageHidden), ...this.textHiddenFeeds(text) };
  }

  /** The trained weights the session takes as inputs (all of them for the step graph). */
  private paramFeeds(session?: EngineSession): TensorMap {
    const wanted = session ? new Set(session.inputs.map((i) => i.name)) : undefined;
    const feeds: TensorMap = {};
    for (const name of this.trainable) {
      if (wanted && !wanted.has(name)) continue;
      feeds[name] = { dtype: 'float32', data: this.params[name]!, dims: this.shapes.get(name)! };
    }
    return feeds;
  }
}

function promptOneHot(prompts: number, imageCount: number): Float32Array {
  const out = new Float32Array(prompts * imageCount * prompts);
  for (let row = 0; row < prompts * imageCount; row++) out[row * prompts + Math.floor(row / imageCount)] = 1;
  return out;
}
