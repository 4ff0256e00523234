// Every module a kohya LoRA patches in SD 1.x (UNet attention, proj_in/proj_out as 1×1 convs, feed-forward;
// text-encoder q/k/v/out_proj, fc1, fc2) applied at generation time equals the same model with the deltas
// merged into its weights (tests/sd/synthetic-lora.ts), at strengths 1 and 0.5; strength 0 is the base model.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import {
  SessionCache,
  openGraphSession,
  type EngineSession,
  type TensorMap,
} from '../../main/engine/runtime';
import {
  buildTextEncoder,
  buildUnet,
  loadLoraFile,
  loraFeeds,
  loraGraphInputs,
  timestepEmbedding,
  TEXT_INPUT,
  TEXT_OUTPUT,
  UNET_CONTEXT,
  UNET_OUTPUT,
  UNET_SAMPLE,
  UNET_TIME,
  type ActiveLora,
  type LoraModule,
  type LoraWeights,
} from '../../main/models/sd';
import { loadSdModel, type SdModel } from '../../main/services/diffusion/loader';
import { SdPipeline } from '../../main/services/diffusion/pipeline';
import { clipVocab, readF32, readI64AsI32, relativeError, tempDir, tinyFolder } from './helpers';
import { syntheticModules, writeKohyaLora, writeMergedModel, type SyntheticModule } from './synthetic-lora';
import { expectWithin } from '../parity';

const TOLERANCE = 1e-5;
const STRENGTHS = [1, 0.5] as const;
const workDir = tempDir('sd-lora-modules-');
const sessions = new SessionCache();
let base: SdModel;
let modules: SyntheticModule[];
let loraFile: string;
let lora: LoraWeights;
const merged = new Map<number, SdModel>();

const unetInputs = (width: number): TensorMap => ({
  [UNET_SAMPLE]: { dtype: 'float32', data: readF32('unet_sample.f32'), dims: [2, 4, 16, 16] },
  [UNET_TIME]: { dtype: 'float32', data: timestepEmbedding([500, 500], width), dims: [2, width] },
  [UNET_CONTEXT]: { dtype: 'float32', data: readF32('unet_ehs.f32'), dims: [2, 77, 32] },
});
const textInputs: TensorMap = {
  [TEXT_INPUT]: { dtype: 'int32', data: readI64AsI32('te_input_ids.i64'), dims: [2, 77] },
};

interface Patchable {
  session: EngineSession;
  modules: LoraModule[];
}

async function open(graph: Parameters<typeof openGraphSession>[0]): Promise<EngineSession> {
  return openGraphSession(graph, { ep: 'cpu', precision: 'fp32', sessions, workDir });
}

async function run(session: EngineSession, feeds: TensorMap, output: string): Promise<Float32Array> {
  return (await session.run(feeds, { outputs: [output] }))[output]!.data as Float32Array;
}

/** UNet and text encoder of `model` without LoRA inputs. */
async function plainOutputs(model: SdModel): Promise<{ unet: Float32Array; text: Float32Array }> {
  const unet = await open(
    buildUnet(model.unet.weights, model.unet.config, { height: 16, width: 16, storage: 'f32' }),
  );
  const text = await open(buildTextEncoder(model.textEncoder.weights, model.textEncoder.config, 'f32'));
  try {
    return {
      unet: await run(unet, unetInputs(model.unet.config.blockOutChannels[0]!), UNET_OUTPUT),
      text: await run(text, textInputs, TEXT_OUTPUT),
    };
  } finally {
    await Promise.all([unet.release(), text.release()]);
  }
}

let patchedUnet: Patchable;
let patchedText: Patchable;

async function patchedOutputs(
  active: readonly ActiveLora[],
): Promise<{ unet: Float32Array; text: Float32Array }> {
  const width = base.unet.config.blockOutChannels[0]!;
  return {
    unet: await run(
      patchedUnet.session,
      { ...unetInputs(width), ...loraFeeds(patchedUnet.modules, active) },
      UNET_OUTPUT,
    ),
    text: await run(
      patchedText.session,
      { ...textInputs, ...loraFeeds(patchedText.modules, active, 'text_encoder') },
      TEXT_OUTPUT,
    ),
  };
}

beforeAll(async () => {
  base = await loadSdModel(tinyFolder);
  modules = await syntheticModules(7);
  loraFile = path.join(workDir, 'kohya-all.safetensors');
  await writeKohyaLora(loraFile, modules);
  lora = await loadLoraFile(loraFile, base.unet.weights.names(), base.textEncoder.weights.names());
  for (const strength of STRENGTHS) {
    const dir = path.join(workDir, `merged-${strength}`);
    await writeMergedModel(dir, modules, strength);
    merged.set(strength, await loadSdModel(dir));
  }
  const unetIo = loraGraphInputs();
  patchedUnet = {
    session: await open(
      buildUnet(base.unet.weights, base.unet.config, {
        height: 16,
        width: 16,
        storage: 'f32',
        lora: unetIo.provider,
        loraScope: 'transformer',
      }),
    ),
    modules: unetIo.modules,
  };
  const textIo = loraGraphInputs();
  patchedText = {
    session: await open(
      buildTextEncoder(base.textEncoder.weights, base.textEncoder.config, 'f32', textIo.provider),
    ),
    modules: textIo.modules,
  };
});

afterAll(async () => {
  await Promise.all([patchedUnet?.session.release(), patchedText?.session.release()]);
  await sessions.clear();
  await Promise.all([base, ...merged.values()].map((m) => m?.close()));
});

describe('kohya LoRA on every SD 1.x module it patches (sd-tiny)', () => {
  it('reads every module of the file and skips none', () => {
    const count = (component: string, pattern: RegExp) =>
      modules.filter((m) => m.component === component && pattern.test(m.module)).length;
    // 16 Transformer2D blocks: 8 attention projections + proj_in, proj_out, ff.net.0.proj, ff.net.2 each.
    expect(count('unet', /\.to_(q|k|v|out\.0)$/)).toBe(128);
    expect(count('unet', /\.(proj_in|proj_out|ff\.net\.0\.proj|ff\.net\.2)$/)).toBe(64);
    expect(count('text_encoder', /./)).toBe(6 * base.textEncoder.config.layers);
    expect(lora.skipped).toEqual([]);
    expect(lora.unet.size).toBe(192);
    expect(lora.textEncoder.size).toBe(6 * base.textEncoder.config.layers);
    expect(lora.unet.get('mid_block.attentions.0.proj_in')!.alphaScale).toBe(0.75);
    expect(patchedUnet.modules.map((m) => m.module).sort()).toEqual([...lora.unet.keys()].sort());
    expect(patchedText.modules.map((m) => m.module).sort()).toEqual([...lora.textEncoder.keys()].sort());
  });

  it.each(STRENGTHS)('at strength %s equals the merged model run without LoRA', async (strength) => {
    const reference = await plainOutputs(merged.get(strength)!);
    const ours = await patchedOutputs([{ lora, scale: strength }]);
    const plain = await plainOutputs(base);
    const unetErr = relativeError(ours.unet, reference.unet);
    const textErr = relativeError(ours.text, reference.text);
    console.log(
      `strength ${strength}: LoRA effect UNet ${relativeError(reference.unet, plain.unet).toExponential(2)}, ` +
        `text encoder ${relativeError(reference.text, plain.text).toExponential(2)}`,
    );
    expectWithin(`strength ${strength}: UNet t=500 vs the merged model`, unetErr, TOLERANCE);
    expectWithin(`strength ${strength}: text encoder vs the merged model`, textErr, TOLERANCE);
    // The LoRA must matter far beyond the tolerance, or the comparison above proves nothing.
    expect(relativeError(reference.unet, plain.unet)).toBeGreaterThan(100 * TOLERANCE);
    expect(relativeError(reference.text, plain.text)).toBeGreaterThan(100 * TOLERANCE);
  });

  it('strength 0 gives the base model; two files concatenate along the rank (0.25 + 0.25 = 0.5)', async () => {
    const plain = await plainOutputs(base);
    const zero = await patchedOutputs([{ lora, scale: 0 }]);
    expect(zero.unet).toEqual(plain.unet);
    expect(zero.text).toEqual(plain.text);
    const none = await patchedOutputs([]);
    expect(none.unet).toEqual(plain.unet);
    expect(none.text).toEqual(plain.text);
    const halves = await patchedOutputs([
      { lora, scale: 0.25 },
      { lora, scale: 0.25 },
    ]);
    const reference = await plainOutputs(merged.get(0.5)!);
    expectWithin('two 0.25 LoRAs: UNet vs merged 0.5', relativeError(halves.unet, reference.unet), TOLERANCE);
    expectWithin(
      'two 0.25 LoRAs: text encoder vs merged 0.5',
      relativeError(halves.text, reference.text),
      TOLERANCE,
    );
  });

  it('reports a 3×3 convolution LoRA (LoCon) as skipped and applies the rest', async () => {
    const file = path.join(workDir, 'kohya-locon.safetensors');
    const conv = 'down_blocks.0.resnets.0.conv1';
    const [out, inFeatures] = base.unet.weights.shape(`${conv}.weight`) as [number, number];
    const key = `lora_unet_${conv.replaceAll('.', '_')}`;
    await writeKohyaLora(
      file,
      modules,
      new Map([
        [
          `${key}.lora_down.weight`,
          { dtype: 'F32', shape: [2, inFeatures, 3, 3], data: new Float32Array(2 * inFeatures * 9) },
        ],
        [`${key}.lora_up.weight`, { dtype: 'F32', shape: [out, 2, 1, 1], data: new Float32Array(out * 2) }],
      ]),
    );
    const locon = await loadLoraFile(file, base.unet.weights.names(), base.textEncoder.weights.names());
    expect(locon.skipped).toEqual([`unet.${conv} (3×3 convolution LoRA (LoCon) is not applied)`]);
    expect(locon.unet.size).toBe(lora.unet.size);
    expect(locon.textEncoder.size).toBe(lora.textEncoder.size);
  });
});

describe('txt2img with the LoRA (sd-tiny, 32 px, 2 steps)', () => {
  const request = {
    prompt: 'a red cube on a blue table',
    negative: 'Weird image. ',
    steps: 2,
    cfg: 7.5,
    seed: 3,
    scheduler: 'euler' as const,
    width: 32,
    height: 32,
  };

  it('changes the image, matches the merged model, and at strength 0 is the image without LoRA', async () => {
    const options = { vocab: clipVocab, workDir, sessions };
    const pipe = await SdPipeline.open(tinyFolder, options);
    const mergedPipe = await SdPipeline.open(path.join(workDir, 'merged-1'), options);
    try {
      const none = (await pipe.generate(request)).images[0]!.unit;
      const zero = (await pipe.generate({ ...request, loras: [{ file: loraFile, scale: 0 }] })).images[0]!
        .unit;
      const full = (await pipe.generate({ ...request, loras: [{ file: loraFile, scale: 1 }] })).images[0]!
        .unit;
      const reference = (await mergedPipe.generate(request)).images[0]!.unit;
      const effect = relativeError(full, none);
      const err = relativeError(full, reference);
      console.log(`txt2img: LoRA effect ${effect.toExponential(2)}`);
      expect(zero).toEqual(none);
      expect(effect).toBeGreaterThan(1e-3);
      expectWithin('txt2img with the LoRA vs the merged model', err, TOLERANCE);
    } finally {
      await Promise.all([pipe.close(), mergedPipe.close()]);
    }
  });
});
