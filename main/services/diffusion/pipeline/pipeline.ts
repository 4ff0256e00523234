// txt2img as diffusers' StableDiffusionPipeline runs it: CFG as one batch of (uncond, cond), initial latents
// from torch-exact randn × init_noise_sigma, the chosen scheduler, VAE decode of latents / scaling_factor.
// Sessions are built once per (graph, size) and reused; LoRA files and strengths are only feeds, to the UNet
// (attention, proj_in/proj_out, feed-forward) and to the text encoder (merged into its weights in-graph).
import {
  SessionCache,
  openGraphSession,
  precisionFor,
  storageFor,
  type ComputePrecision,
  type EngineSession,
  type ExecutionProvider,
  type TensorMap,
} from '../../../engine/runtime';
import {
  buildTextEncoder,
  buildUnet,
  buildVaeDecoder,
  loadLoraFile,
  loraFeeds,
  loraGraphInputs,
  timestepEmbedding,
  vaeScaleFactor,
  TEXT_INPUT,
  TEXT_OUTPUT,
  UNET_CONTEXT,
  UNET_OUTPUT,
  UNET_SAMPLE,
  UNET_TIME,
  VAE_DECODED,
  VAE_LATENT,
  type ActiveLora,
  type LoraModule,
  type LoraWeights,
} from '../../../models/sd';
import { ClipTokenizer } from '../../../tokenizer';
import { loadSdModel, type LoadOptions, type SdModel } from '../loader';
import { latentToRgbPreview, type RgbPreview } from '../preview';
import { TorchGenerator, randnTensor } from '../rng';
import { createScheduler, type SchedulerName } from '../schedulers';
import { decodedToUnit, unitToRgb, type RgbImage } from './image';
import { tokenizePrompts } from './prompts';

export interface PipelineOptions extends LoadOptions {
  ep?: ExecutionProvider;
  /** Tokenizer: bpe_simple_vocab_16e6.txt.gz or an HF tokenizer folder; default: the model's tokenizer/. */
  vocab?: string;
  /** Folder for lowered graphs with external weights (the on-disk graph cache). */
  workDir: string;
  sessions?: SessionCache;
  /** UNet/text-encoder precision (default: fp16 on GPU EPs, fp32 on cpu); the VAE always runs fp32. */
  precision?: ComputePrecision;
}

export interface LoraRequest {
  file: string;
  scale: number;
}

export interface GenerateRequest {
  prompt: string;
  negative?: string;
  steps: number;
  cfg: number;
  seed: number;
  scheduler: SchedulerName;
  width: number;
  height: number;
  /** Images per prompt; image i uses seed + i (its own generator), so each can be reproduced alone. */
  batch?: number;
  loras?: readonly LoraRequest[];
  signal?: AbortSignal;
  onProgress?: (event: ProgressEvent) => void;
  /** Latent→RGB preview of the first image after each step (`total` as in ProgressEvent). */
  onPreview?: (preview: RgbPreview, step: number, total: number) => void;
}

export interface ProgressEvent {
  step: number;
  total: number;
  timestep: number;
}

export interface GeneratedImage {
  seed: number;
  image: RgbImage;
  /** NHWC float in [0, 1] before quantising (diffusers' output_type="np"). */
  unit: Float32Array;
}

export interface GenerateResult {
  images: GeneratedImage[];
  /** Initial noise [batch, 4, h, w] (randn × init_noise_sigma), as diffusers' prepare_latents returns it. */
  initialLatents: Float32Array;
  /** Final latents [batch, 4, h, w] before the VAE. */
  latents: Float32Array;
}

const f32 = Math.fround;

function abortIfNeeded(signal?: AbortSignal): void {
  if (signal?.aborted)
    throw signal.reason instanceof Error
      ? signal.reason
      : new DOMException('generation cancelled', 'AbortError');
}

export class SdPipeline {
  private readonly unets = new Map<string, { session: EngineSession; modules: LoraModule[] }>();
  private readonly decoders = new Map<string, EngineSession>();
  private textEncoder?: { session: EngineSession; modules: LoraModule[] };
  private readonly loras = new Map<string, LoraWeights>();

  private constructor(
    readonly model: SdModel,
    private readonly tokenizer: ClipTokenizer,
    private readonly sessions: SessionCache,
    private readonly ep: ExecutionProvider,
    private readonly precision: ComputePrecision,
    private readonly workDir: string,
    private readonly ownsSessions: boolean,
  ) {}

  static async open(modelPath: string, options: PipelineOptions): Promise<SdPipeline> {
    const model = await loadSdModel(modelPath, options);
    try {
      const vocab = options.vocab ?? model.tokenizerPath;
      if (!vocab)
        throw new Error(
          `${modelPath} has no tokenizer/ (vocab.json + merges.txt): pass a vocabulary (bpe_simple_vocab_16e6.txt.gz or a tokenizer folder)`,
        );
      // transformers' CLIPTokenizer cleaning, as diffusers' SD pipelines tokenize (the fixtures' setup: no ftfy).
      const tokenizer = await ClipTokenizer.load(vocab, { cleaning: 'transformers' });
      const ep = options.ep ?? 'cpu';
      return new SdPipeline(
        model,
        tokenizer,
        options.sessions ?? new SessionCache(),
        ep,
        options.precision ?? precisionFor(ep),
        options.workDir,
        !options.sessions,
      );
    } catch (error) {
      await model.close();
      throw error;
    }
  }

  /** Pixels per latent (8 for SD, 2 for the tiny fixture model). */
  get scaleFactor(): number {
    return vaeScaleFactor(this.model.vae.config);
  }

  async close(): Promise<void> {
    const held = [
      this.textEncoder?.session,
      ...[...this.unets.values()].map((u) => u.session),
      ...this.decoders.values(),
    ];
    await Promise.all(held.map((s) => s?.release() ?? Promise.resolve()));
    if (this.ownsSessions) await this.sessions.clear();
    await this.model.close();
  }

  /** Reads (once) a LoRA file against this model. */
  async lora(file: string): Promise<LoraWeights> {
    let lora = this.loras.get(file);
    if (!lora) {
      lora = await loadLoraFile(
        file,
        this.model.unet.weights.names(),
        this.model.textEncoder.weights.names(),
      );
      this.loras.set(file, lora);
    }
    return lora;
  }

  /** The text-encoder session, with LoRA inputs on every layer's attention and MLP weights. */
  private async textSession(): Promise<{ session: EngineSession; modules: LoraModule[] }> {
    if (!this.textEncoder) {
      const io = loraGraphInputs();
      const { weights, config } = this.model.textEncoder;
      const graph = buildTextEncoder(weights, config, storageFor(this.precision), io.provider);
      const session = await openGraphSession(graph, this.sessionOptions(this.precision));
      this.textEncoder = { session, modules: io.modules };
    }
    return this.textEncoder;
  }

  /** The UNet session for a latent size, with LoRA inputs on every module kohya's LoRAs patch. */
  async unetSession(
    height: number,
    width: number,
  ): Promise<{ session: EngineSession; modules: LoraModule[] }> {
    const key = `${height}x${width}`;
    let entry = this.unets.get(key);
    if (!entry) {
      const io = loraGraphInputs();
      const graph = buildUnet(this.model.unet.weights, this.model.unet.config, {
        height,
        width,
        storage: storageFor(this.precision),
        lora: io.provider,
        loraScope: 'transformer',
      });
      entry = {
        session: await openGraphSession(graph, this.sessionOptions(this.precision)),
        modules: io.modules,
      };
      this.unets.set(key, entry);
    }
    return entry;
  }

  private async decoderSession(height: number, width: number): Promise<EngineSession> {
    const key = `${height}x${width}`;
    let session = this.decoders.get(key);
    if (!session) {
      session = await openGraphSession(
        buildVaeDecoder(this.model.vae.weights, this.model.vae.config, height, width),
        this.sessionOptions('fp32'),
      );
      this.decoders.set(key, session);
    }
    return session;
  }

  private sessionOptions(precision: ComputePrecision) {
    return { ep: this.ep, precision, sessions: this.sessions, workDir: this.workDir };
  }

  /**
   * Text-encoder hidden states of 77-token windows. Windows of one prompt are consecutive, so the output
   * [rows · windows, 77, width] is already [rows, windows · 77, width] in memory: the concatenation along
   * the sequence costs nothing.
   */
  private async encode(
    ids: Int32Array,
    contextLength: number,
    active: readonly ActiveLora[],
    signal?: AbortSignal,
  ): Promise<Float32Array> {
    const { session, modules } = await this.textSession();
    const count = ids.length / contextLength;
    const out = await session.run(
      {
        ...loraFeeds(modules, active, 'text_encoder'),
        [TEXT_INPUT]: { dtype: 'int32', data: ids, dims: [count, contextLength] },
      },
      { signal },
    );
    return out[TEXT_OUTPUT]!.data as Float32Array;
  }

  private validate(request: GenerateRequest): void {
    const factor = this.scaleFactor;
    const unetFactor = factor * 2 ** (this.model.unet.config.blockOutChannels.length - 1);
    for (const [what, value] of [
      ['width', request.width],
      ['height', request.height],
    ] as const) {
      if (!Number.isInteger(value) || value <= 0 || value % unetFactor !== 0)
        throw new Error(
          `${what} must be a positive multiple of ${unetFactor} (VAE scale factor ${factor} × the UNet's ${unetFactor / factor}), got ${value}`,
        );
    }
    if (!Number.isInteger(request.batch ?? 1) || (request.batch ?? 1) < 1)
      throw new Error(`batch must be a positive integer, got ${request.batch}`);
    if (!Number.isFinite(request.cfg)) throw new Error(`cfg must be a number, got ${request.cfg}`);
    if (!Number.isSafeInteger(request.seed) || request.seed < 0)
      throw new Error(`seed must be a non-negative integer, got ${request.seed}`);
  }

  /** Hidden states for the UNet: [negative × batch, prompt × batch] under CFG (as diffusers), else the prompt's. */
  private async promptContext(
    request: GenerateRequest,
    batch: number,
    guided: boolean,
    active: readonly ActiveLora[],
  ): Promise<{ context: Float32Array; sequence: number }> {
    const tokens = tokenizePrompts(
      this.tokenizer,
      request.prompt,
      guided ? (request.negative ?? '') : undefined,
      this.model.textEncoder.config.contextLength,
    );
    const hidden = await this.encode(tokens.ids, tokens.contextLength, active, request.signal);
    const sequence = tokens.windows * tokens.contextLength;
    const rowSize = sequence * this.model.textEncoder.config.width;
    const rows = guided ? [0, 1] : [0];
    const context = new Float32Array(rows.length * batch * rowSize);
    rows.forEach((row, r) => {
      for (let b = 0; b < batch; b++)
        context.set(hidden.subarray(row * rowSize, (row + 1) * rowSize), (r * batch + b) * rowSize);
    });
    return { context, sequence };
  }

  async generate(request: GenerateRequest): Promise<GenerateResult> {
    this.validate(request);
    const { signal } = request;
    const batch = request.batch ?? 1;
    const guided = request.cfg > 1;
    const latentH = request.height / this.scaleFactor;
    const latentW = request.width / this.scaleFactor;
    const channels = this.model.unet.config.inChannels;
    const active: ActiveLora[] = await Promise.all(
      (request.loras ?? []).map(async (l) => ({ lora: await this.lora(l.file), scale: l.scale })),
    );

    const { context, sequence } = await this.promptContext(request, batch, guided, active);

    const scheduler = createScheduler(request.scheduler, this.model.scheduler);
    scheduler.setTimesteps(request.steps);
    const generators = Array.from({ length: batch }, (_, i) => new TorchGenerator(request.seed + i));
    const latentSize = batch * channels * latentH * latentW;
    const sigma = f32(scheduler.initNoiseSigma);
    let latents: Float32Array = randnTensor(latentSize, batch === 1 ? generators[0]! : generators).map((v) =>
      f32(v * sigma),
    );

    const initialLatents = latents;
    const { session: unet, modules } = await this.unetSession(latentH, latentW);
    const loraInputs = loraFeeds(modules, active);
    const copies = guided ? 2 : 1;
    const unetBatch = copies * batch;
    const timeWidth = this.model.unet.config.blockOutChannels[0]!;
    const { flipSinToCos, freqShift } = this.model.unet.config;
    const timesteps = scheduler.timesteps;
    for (let i = 0; i < timesteps.length; i++) {
      abortIfNeeded(signal);
      const t = timesteps[i]!;
      const input = new Float32Array(copies * latentSize);
      for (let r = 0; r < copies; r++) input.set(latents, r * latentSize);
      const scaled = scheduler.scaleModelInput(input, t);
      const feeds: TensorMap = {
        ...loraInputs,
        [UNET_SAMPLE]: { dtype: 'float32', data: scaled, dims: [unetBatch, channels, latentH, latentW] },
        [UNET_TIME]: {
          dtype: 'float32',
          data: timestepEmbedding(Array<number>(unetBatch).fill(t), timeWidth, flipSinToCos, freqShift),
          dims: [unetBatch, timeWidth],
        },
        [UNET_CONTEXT]: {
          dtype: 'float32',
          data: context,
          dims: [unetBatch, sequence, this.model.textEncoder.config.width],
        },
      };
      const out = (await unet.run(feeds, { signal, outputs: [UNET_OUTPUT] }))[UNET_OUTPUT]!
        .data as Float32Array;
      const noise = guided ? guide(out, latentSize, request.cfg) : out;
      latents = scheduler.step(noise, t, latents, batch === 1 ? generators[0]! : generators);
      request.onProgress?.({ step: i + 1, total: timesteps.length, timestep: t });
      if (request.onPreview && channels === 4)
        request.onPreview(
          latentToRgbPreview(latents, [batch, channels, latentH, latentW]),
          i + 1,
          timesteps.length,
        );
    }
    abortIfNeeded(signal);
    const images = await this.decode(latents, batch, latentH, latentW, request.seed, signal);
    return { images, initialLatents, latents };
  }

  private async decode(
    latents: Float32Array,
    batch: number,
    latentH: number,
    latentW: number,
    seed: number,
    signal?: AbortSignal,
  ): Promise<GeneratedImage[]> {
    const decoder = await this.decoderSession(latentH, latentW);
    const { scalingFactor, latentChannels } = this.model.vae.config;
    const itemSize = latents.length / batch;
    const height = latentH * this.scaleFactor;
    const width = latentW * this.scaleFactor;
    const images: GeneratedImage[] = [];
    // One image at a time: a 512² decode needs GBs of activations.
    for (let b = 0; b < batch; b++) {
      const z = Float32Array.from(latents.subarray(b * itemSize, (b + 1) * itemSize), (v) =>
        f32(v / scalingFactor),
      );
      const out = await decoder.run(
        { [VAE_LATENT]: { dtype: 'float32', data: z, dims: [1, latentChannels, latentH, latentW] } },
        { signal },
      );
      const unit = decodedToUnit(out[VAE_DECODED]!.data as Float32Array, height, width);
      images.push({ seed: seed + b, unit, image: unitToRgb(unit, height, width) });
    }
    return images;
  }
}

/** uncond + cfg · (cond − uncond), in float32 like torch. */
function guide(out: Float32Array, half: number, cfg: number): Float32Array {
  const noise = new Float32Array(half);
  const scale = f32(cfg);
  for (let i = 0; i < half; i++) {
    const uncond = out[i]!;
    noise[i] = f32(uncond + f32(scale * f32(out[half + i]! - uncond)));
  }
  return noise;
}
