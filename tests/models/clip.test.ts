// The CLIP towers against the reference outputs in ../shared/fixtures/clip, fed the fixture's own pixels and
// token ids (so a mismatch here is the architecture, not preprocessing or tokenisation), on cpu in float32.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadStateDict, type StateDict, type TensorData } from '../../main/checkpoints';
import { ClipModel, ClipWeights, eotIndices, type ClipModelOptions } from '../../main/models/clip';
import {
  cosineMatrix,
  f32,
  fixture,
  i32,
  maxAbsDiff,
  normalizeRows,
  relativeError,
  runOnce,
} from './clip-fixtures';
import { expectWithin } from '../parity';

const EMBED = 64;
const tokensV1 = i32('v1_tokens.i32');
const tokensV2 = i32('v2_tokens.i32');

async function towers(model: ClipModel, prefix: 'v1' | 'v2', tokens: Int32Array) {
  const pixels = f32(`${prefix}_pixels.f32`);
  const image = await runOnce(await model.buildGraph('vision', 'f32'), {
    pixels: { type: 'float32', data: pixels, dims: [7, 3, 224, 224] },
  });
  const text = await runOnce(await model.buildGraph('text', 'f32'), {
    tokens: { type: 'int32', data: tokens, dims: [11, 77] },
    eot_index: { type: 'int32', data: eotIndices(tokens, 77), dims: [11] },
  });
  return { image, text };
}

const V1: ClipModelOptions = { activation: 'quick_gelu', heads: { convention: 'openai' } };
const V2: ClipModelOptions = { activation: 'gelu', heads: { convention: 'open_clip' } };

describe('HPS v1 tiny (OpenAI layout, QuickGELU) on cpu', () => {
  let sd: StateDict;
  let out: { image: Float32Array; text: Float32Array };
  beforeAll(async () => {
    sd = await loadStateDict(fixture('hps_v1_tiny.pt'));
    out = await towers(ClipModel.fromTensors(sd.tensors, V1), 'v1', tokensV1);
  });
  afterAll(() => sd.close());

  it('infers the sizes from the tensor shapes (heads = width / 64)', () => {
    const { config } = ClipModel.fromTensors(sd.tensors, V1);
    expect(config.vision).toEqual({
      width: 128,
      layers: 2,
      heads: 2,
      patchSize: 14,
      grid: 16,
      imageSize: 224,
    });
    expect(config.text).toEqual({ width: 128, layers: 2, heads: 2, contextLength: 77, vocabSize: 49408 });
    expect(config.embedDim).toBe(EMBED);
  });

  it('matches v1_image_features, v1_text_features and v1_cosine', () => {
    const imageErr = relativeError(out.image, f32('v1_image_features.f32'));
    const textErr = relativeError(out.text, f32('v1_text_features.f32'));
    const cosErr = maxAbsDiff(cosineMatrix(out.image, out.text, EMBED), f32('v1_cosine.f32'));
    expectWithin('v1 cpu image features (relative)', imageErr, 1e-4);
    expectWithin('v1 cpu text features (relative)', textErr, 1e-4);
    expectWithin('v1 cpu cosine max |Δ|', cosErr, 1e-4);
  });

  it('gives the same results from transformers CLIPModel names (q/k/v split, Linear projections)', async () => {
    const hf = ClipModel.fromTensors(toHfLayout(sd.tensors), V1);
    expect(hf.weights.layout).toBe('hf');
    expect(hf.config).toEqual(ClipModel.fromTensors(sd.tensors, V1).config);
    const hfOut = await towers(hf, 'v1', tokensV1);
    expect(maxAbsDiff(hfOut.image, out.image)).toBe(0);
    expect(maxAbsDiff(hfOut.text, out.text)).toBe(0);
  });
});

describe.each(['hps_v2_tiny.pt', 'hps_v2_tiny.safetensors'])(
  'HPS v2 tiny %s (open_clip, GELU) on cpu',
  (file) => {
    it('matches v2_image_features, v2_text_features (normalised) and v2_score', async () => {
      const sd = await loadStateDict(fixture(file));
      try {
        const out = await towers(ClipModel.fromTensors(sd.tensors, V2), 'v2', tokensV2);
        const imageErr = relativeError(normalizeRows(out.image, EMBED), f32('v2_image_features.f32'));
        const textErr = relativeError(normalizeRows(out.text, EMBED), f32('v2_text_features.f32'));
        const scoreErr = maxAbsDiff(cosineMatrix(out.image, out.text, EMBED), f32('v2_score.f32'));
        expectWithin(`v2 ${file} cpu image features (relative)`, imageErr, 1e-4);
        expectWithin(`v2 ${file} cpu text features (relative)`, textErr, 1e-4);
        expectWithin(`v2 ${file} cpu score max |Δ|`, scoreErr, 1e-4);
      } finally {
        await sd.close();
      }
    });
  },
);

describe('config inference from shapes alone', () => {
  const shapeOnly = (shapes: Record<string, number[]>) =>
    new Map<string, TensorData>(
      Object.entries(shapes).map(([name, shape]) => [
        name,
        {
          dtype: 'F16',
          shape,
          byteLength: 2 * shape.reduce((a, b) => a * b, 1),
          read: () => Promise.reject(new Error('shapes only')),
        },
      ]),
    );
  const block = (prefix: string, width: number) => ({
    [`${prefix}.resblocks.0.attn.in_proj_weight`]: [3 * width, width],
  });
  const vitH = shapeOnly({
    'visual.conv1.weight': [1280, 3, 14, 14],
    'visual.positional_embedding': [257, 1280],
    'visual.proj': [1280, 1024],
    ...block('visual.transformer', 1280),
    'ln_final.weight': [1024],
    positional_embedding: [77, 1024],
    'token_embedding.weight': [49408, 1024],
    text_projection: [1024, 1024],
    ...block('transformer', 1024),
  });

  it('uses open_clip ViT-H/14 80-wide vision heads (16) but build_model width / 64 for OpenAI', () => {
    const w = new ClipWeights(vitH);
    expect(new ClipModel(w, V2).config.vision.heads).toBe(16);
    expect(new ClipModel(w, V2).config.text.heads).toBe(16);
    expect(new ClipModel(w, V1).config.vision.heads).toBe(20);
  });

  it('names what it expected when the checkpoint is not CLIP', () => {
    expect(() => new ClipWeights(shapeOnly({ 'layers.0.weight': [4, 4] }))).toThrow(/not a CLIP checkpoint/);
  });
});

/** transformers' CLIPModel names for an OpenAI-layout state dict, built by renaming as convert_clip_original_pytorch_to_hf does. */
function toHfLayout(tensors: ReadonlyMap<string, TensorData>): Map<string, TensorData> {
  const out = new Map<string, TensorData>();
  const top: Record<string, string> = {
    'visual.conv1.weight': 'vision_model.embeddings.patch_embedding.weight',
    'visual.class_embedding': 'vision_model.embeddings.class_embedding',
    'visual.positional_embedding': 'vision_model.embeddings.position_embedding.weight',
    'visual.ln_pre.weight': 'vision_model.pre_layrnorm.weight',
    'visual.ln_pre.bias': 'vision_model.pre_layrnorm.bias',
    'visual.ln_post.weight': 'vision_model.post_layernorm.weight',
    'visual.ln_post.bias': 'vision_model.post_layernorm.bias',
    'token_embedding.weight': 'text_model.embeddings.token_embedding.weight',
    positional_embedding: 'text_model.embeddings.position_embedding.weight',
    'ln_final.weight': 'text_model.final_layer_norm.weight',
    'ln_final.bias': 'text_model.final_layer_norm.bias',
    logit_scale: 'logit_scale',
  };
  const parts: Record<string, string> = {
    ln_1: 'layer_norm1',
    ln_2: 'layer_norm2',
    'attn.out_proj': 'self_attn.out_proj',
    'mlp.c_fc': 'mlp.fc1',
    'mlp.c_proj': 'mlp.fc2',
  };
  for (const [name, t] of tensors) {
    if (top[name]) {
      out.set(top[name], t);
      continue;
    }
    if (name === 'visual.proj' || name === 'text_projection') {
      out.set(name === 'visual.proj' ? 'visual_projection.weight' : 'text_projection.weight', transposed(t));
      continue;
    }
    const m = /^(visual\.)?transformer\.resblocks\.(\d+)\.(.+)$/.exec(name);
    if (!m) throw new Error(`unmapped ${name}`);
    const prefix = `${m[1] ? 'vision_model' : 'text_model'}.encoder.layers.${m[2]}`;
    const rest = m[3]!;
    const inProj = /^attn\.in_proj_(weight|bias)$/.exec(rest);
    if (inProj) {
      ['q', 'k', 'v'].forEach((p, i) =>
        out.set(`${prefix}.self_attn.${p}_proj.${inProj[1]}`, rowSlice(t, i, 3)),
      );
      continue;
    }
    const part = Object.keys(parts).find((p) => rest.startsWith(`${p}.`));
    if (!part) throw new Error(`unmapped ${name}`);
    out.set(`${prefix}.${parts[part]}${rest.slice(part.length)}`, t);
  }
  return out;
}

function derived(t: TensorData, shape: number[], transform: (v: Uint16Array) => Uint16Array): TensorData {
  if (t.dtype !== 'F16') throw new Error('fixture tensors are F16');
  return {
    dtype: 'F16',
    shape,
    byteLength: 2 * shape.reduce((a, b) => a * b, 1),
    read: async () => {
      const b = await t.read();
      const v = transform(new Uint16Array(b.buffer, b.byteOffset, b.byteLength / 2));
      return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
    },
  };
}

function transposed(t: TensorData): TensorData {
  const [rows, cols] = t.shape as [number, number];
  return derived(t, [cols, rows], (v) => {
    const o = new Uint16Array(v.length);
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) o[c * rows + r] = v[r * cols + c]!;
    return o;
  });
}

function rowSlice(t: TensorData, index: number, pieces: number): TensorData {
  const rows = t.shape[0]! / pieces;
  const rowSize = t.shape.slice(1).reduce((a, b) => a * b, 1);
  return derived(t, [rows, ...t.shape.slice(1)], (v) =>
    v.slice(index * rows * rowSize, (index + 1) * rows * rowSize),
  );
}
