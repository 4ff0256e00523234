// An independent float64 reference for the v1_train fixture: OpenAI CLIP's forward (model.py: VisualTransformer,
// Transformer with QuickGELU, causal text mask, ln_post on the class token, EOT pooling) written with plain
// loops over Float64Arrays, sharing nothing with the engine. The preference loss of the fixture is then a
// function of the two images' class tokens, so gradients that flow through them are taken by finite
// differences on that small head, exact to far below float32's resolution.
import { loadStateDict, toFloat32 } from '../../main/checkpoints';

export interface Matrix {
  rows: number;
  cols: number;
  data: Float64Array;
}

type Weights = Map<string, { shape: number[]; data: Float64Array }>;

export async function readWeights(file: string): Promise<Weights> {
  const state = await loadStateDict(file);
  try {
    const weights: Weights = new Map();
    for (const [name, tensor] of state.tensors)
      weights.set(name, {
        shape: [...tensor.shape],
        data: Float64Array.from(toFloat32(tensor.dtype, await tensor.read())),
      });
    return weights;
  } finally {
    await state.close();
  }
}

export class Float64Clip {
  constructor(private readonly weights: Weights) {}

  /** A weight and its shape (a copy the caller may keep). */
  weight(name: string): { shape: number[]; data: Float64Array } {
    return { shape: [...this.shape(name)], data: this.w(name).slice() };
  }

  private w(name: string): Float64Array {
    const tensor = this.weights.get(name);
    if (!tensor) throw new Error(`no weight ${name}`);
    return tensor.data;
  }

  private shape(name: string): number[] {
    return this.weights.get(name)!.shape;
  }

  blocks(prefix: string): number {
    let n = 0;
    while (this.weights.has(`${prefix}.resblocks.${n}.ln_1.weight`)) n++;
    return n;
  }

  /** x @ Wᵀ + b, W stored [out, in] as torch's Linear. */
  private linear(x: Matrix, weight: string, bias: string | null): Matrix {
    const w = this.w(weight);
    const b = bias === null ? null : this.w(bias);
    const out = this.shape(weight)[0]!;
    const data = new Float64Array(x.rows * out);
    for (let i = 0; i < x.rows; i++)
      for (let o = 0; o < out; o++) {
        let sum = b ? b[o]! : 0;
        for (let k = 0; k < x.cols; k++) sum += x.data[i * x.cols + k]! * w[o * x.cols + k]!;
        data[i * out + o] = sum;
      }
    return { rows: x.rows, cols: out, data };
  }

  layerNorm(x: Matrix, prefix: string): Matrix {
    const weight = this.w(`${prefix}.weight`);
    const bias = this.w(`${prefix}.bias`);
    const data = new Float64Array(x.data.length);
    for (let i = 0; i < x.rows; i++) {
      const row = x.data.subarray(i * x.cols, (i + 1) * x.cols);
      const mean = row.reduce((a, v) => a + v, 0) / x.cols;
      const variance = row.reduce((a, v) => a + (v - mean) ** 2, 0) / x.cols;
      const inv = 1 / Math.sqrt(variance + 1e-5);
      for (let k = 0; k < x.cols; k++) data[i * x.cols + k] = (row[k]! - mean) * inv * weight[k]! + bias[k]!;
    }
    return { rows: x.rows, cols: x.cols, data };
  }

  private attention(x: Matrix, prefix: string, causal: boolean): Matrix {
    const width = x.cols;
    const heads = width / 64;
    const head = width / heads;
    const qkv = this.linear(x, `${prefix}.in_proj_weight`, `${prefix}.in_proj_bias`);
    const at = (token: number, part: number, h: number, k: number) =>
      qkv.data[token * 3 * width + part * width + h * head + k]!;
    const out = new Float64Array(x.rows * width);
    for (let h = 0; h < heads; h++)
      for (let i = 0; i < x.rows; i++) {
        const last = causal ? i : x.rows - 1;
        const logits = new Float64Array(last + 1);
        for (let j = 0; j <= last; j++) {
          let dot = 0;
          for (let k = 0; k < head; k++) dot += at(i, 0, h, k) * at(j, 1, h, k);
          logits[j] = dot / Math.sqrt(head);
        }
        const max = Math.max(...logits);
        const p = logits.map((l) => Math.exp(l - max));
        const total = p.reduce((a, v) => a + v, 0);
        for (let k = 0; k < head; k++) {
          let sum = 0;
          for (let j = 0; j <= last; j++) sum += p[j]! * at(j, 2, h, k);
          out[i * width + h * head + k] = sum / total;
        }
      }
    return this.linear(
      { rows: x.rows, cols: width, data: out },
      `${prefix}.out_proj.weight`,
      `${prefix}.out_proj.bias`,
    );
  }

  private residualBlock(x: Matrix, prefix: string, causal: boolean): Matrix {
    const add = (a: Matrix, b: Matrix): Matrix => ({ ...a, data: a.data.map((v, i) => v + b.data[i]!) });
    x = add(x, this.attention(this.layerNorm(x, `${prefix}.ln_1`), `${prefix}.attn`, causal));
    const hidden = this.linear(
      this.layerNorm(x, `${prefix}.ln_2`),
      `${prefix}.mlp.c_fc.weight`,
      `${prefix}.mlp.c_fc.bias`,
    );
    hidden.data = hidden.data.map((v) => v / (1 + Math.exp(-1.702 * v))); // QuickGELU
    return add(x, this.linear(hidden, `${prefix}.mlp.c_proj.weight`, `${prefix}.mlp.c_proj.bias`));
  }

  /** The class token after the last vision block (before ln_post), for one [3, S, S] normalised image. */
  visionClassToken(pixels: Float64Array): Float64Array {
    const hidden = this.visionHidden(pixels, this.blocks('visual.transformer'));
    return hidden.data.slice(0, hidden.cols);
  }

  /** Every token after the first `depth` vision blocks, for one [3, S, S] normalised image. */
  visionHidden(pixels: Float64Array, depth: number): Matrix {
    const [width, , patch] = this.shape('visual.conv1.weight') as [number, number, number];
    const size = Math.round(Math.sqrt(pixels.length / 3));
    const grid = size / patch;
    const tokens = grid * grid + 1;
    const conv = this.w('visual.conv1.weight');
    const positional = this.w('visual.positional_embedding');
    const x = new Float64Array(tokens * width);
    const classEmbedding = this.w('visual.class_embedding');
    for (let o = 0; o < width; o++) x[o] = classEmbedding[o]! + positional[o]!;
    for (let gy = 0; gy < grid; gy++)
      for (let gx = 0; gx < grid; gx++)
        for (let o = 0; o < width; o++) {
          let sum = 0;
          for (let c = 0; c < 3; c++)
            for (let u = 0; u < patch; u++)
              for (let v = 0; v < patch; v++)
                sum +=
                  pixels[c * size * size + (gy * patch + u) * size + gx * patch + v]! *
                  conv[((o * 3 + c) * patch + u) * patch + v]!;
          const t = 1 + gy * grid + gx;
          x[t * width + o] = sum + positional[t * width + o]!;
        }
    let m = this.layerNorm({ rows: tokens, cols: width, data: x }, 'visual.ln_pre');
    for (let l = 0; l < depth; l++) m = this.residualBlock(m, `visual.transformer.resblocks.${l}`, false);
    return m;
  }

  /** encode_text: ln_final at the EOT token (the highest id), projected. */
  textFeatures(ids: ArrayLike<number>): Float64Array {
    const m = this.textHidden(ids, this.blocks('transformer'));
    const width = m.cols;
    let eot = 0;
    for (let t = 1; t < ids.length; t++) if (ids[t]! > ids[eot]!) eot = t;
    const pooled = this.layerNorm(
      { rows: 1, cols: width, data: m.data.slice(eot * width, (eot + 1) * width) },
      'ln_final',
    );
    return this.project(pooled.data, 'text_projection');
  }

  /** Every token after the first `depth` text blocks. */
  textHidden(ids: ArrayLike<number>, depth: number): Matrix {
    const width = this.shape('ln_final.weight')[0]!;
    const embedding = this.w('token_embedding.weight');
    const positional = this.w('positional_embedding');
    const x = new Float64Array(ids.length * width);
    for (let t = 0; t < ids.length; t++)
      for (let k = 0; k < width; k++)
        x[t * width + k] = embedding[ids[t]! * width + k]! + positional[t * width + k]!;
    let m: Matrix = { rows: ids.length, cols: width, data: x };
    for (let l = 0; l < depth; l++) m = this.residualBlock(m, `transformer.resblocks.${l}`, true);
    return m;
  }

  /** v @ P with P stored [in, out] (CLIP's projections). */
  project(v: Float64Array, name: string): Float64Array {
    const p = this.w(name);
    const out = this.shape(name)[1]!;
    const y = new Float64Array(out);
    for (let e = 0; e < out; e++) for (let k = 0; k < v.length; k++) y[e] += v[k]! * p[k * out + e]!;
    return y;
  }

  logitScale(): number {
    return Math.exp(this.w('logit_scale')[0]!);
  }
}

/** Cross-entropy toward image `chosen` of logits = scale · cosine(image_i, text). */
export function preferenceLoss(
  imageFeatures: Float64Array[],
  text: Float64Array,
  scale: number,
  chosen: number,
): number {
  const unit = (v: Float64Array) => {
    const n = Math.hypot(...v);
    return v.map((x) => x / n);
  };
  const t = unit(text);
  const logits = imageFeatures.map((f) => scale * unit(f).reduce((a, v, k) => a + v * t[k]!, 0));
  const max = Math.max(...logits);
  return -(logits[chosen]! - max - Math.log(logits.reduce((a, l) => a + Math.exp(l - max), 0)));
}

/** d loss / d v by the fourth-order central difference (step 1e-3: truncation ~1e-12, rounding ~1e-13). */
export function gradient(loss: (v: Float64Array) => number, at: Float64Array): Float64Array {
  const h = 1e-3;
  return at.map((_, k) => {
    const shifted = (s: number) => {
      const v = at.slice();
      v[k] += s * h;
      return loss(v);
    };
    return (shifted(-2) - 8 * shifted(-1) + 8 * shifted(1) - shifted(2)) / (12 * h);
  });
}
