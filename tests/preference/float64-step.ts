// The fixture's preference-training step (v1_train) recomputed in float64 on the tape of float64-tape.ts:
// the frozen blocks by Float64Clip, then the last block of each tower, ln_post / ln_final, both projections and
// logit_scale on the tape (OpenAI CLIP's model.py: ResidualAttentionBlock with QuickGELU, nn.MultiheadAttention
// with q scaled by 1/√head_dim, the causal text mask, class-token and EOT pooling), logits =
// exp(logit_scale)·cosine and cross-entropy toward the chosen image.
//
// Every image gets its own copy of the vision weights and of logit_scale, so the gradient of each is known
// per image (its "share") as well as in total: where the shares nearly cancel, float32 cannot resolve the sum.
import type { Float64Clip } from './float64-clip';
import { Tape, type Value } from './float64-tape';

export interface ExactStep {
  loss: number;
  /** d loss / d weight for every trained weight. */
  grads: Map<string, Float64Array>;
  /** Per-image shares of the gradients of the vision weights and logit_scale (they sum to `grads`). */
  shares: Map<string, Float64Array[]>;
}

type Weights = (name: string) => Value;

function weightsOn(tape: Tape, clip: Float64Clip, made: Map<string, Value>): Weights {
  return (name) => {
    let v = made.get(name);
    if (!v) {
      const { shape, data } = clip.weight(name);
      const [rows, cols] = shape.length === 2 ? shape : [1, shape[0] ?? 1];
      v = tape.leaf(rows!, cols!, data);
      made.set(name, v);
    }
    return v;
  };
}

function layerNorm(t: Tape, x: Value, w: Weights, prefix: string): Value {
  return t.add(t.mul(t.standardizeRows(x, 1e-5), w(`${prefix}.weight`)), w(`${prefix}.bias`));
}

function linear(t: Tape, x: Value, w: Weights, prefix: string): Value {
  return t.add(t.matmulT(x, w(`${prefix}.weight`)), w(`${prefix}.bias`));
}

function attention(t: Tape, x: Value, w: Weights, prefix: string, causal: boolean): Value {
  const width = x.cols;
  const headDim = 64;
  const qkv = t.add(t.matmulT(x, w(`${prefix}.in_proj_weight`)), w(`${prefix}.in_proj_bias`));
  const scale = t.leaf(1, 1, [1 / Math.sqrt(headDim)]);
  const heads = Array.from({ length: width / headDim }, (_, h) => {
    const part = (n: number) => t.columns(qkv, n * width + h * headDim, n * width + (h + 1) * headDim);
    const scores = t.matmulT(t.mul(part(0), scale), part(1));
    return t.matmul(t.softmaxRows(scores, causal), part(2));
  });
  return linear(t, t.concatColumns(heads), w, `${prefix}.out_proj`);
}

const quickGelu = (v: number) => v / (1 + Math.exp(-1.702 * v));
const quickGeluGrad = (v: number) => {
  const s = 1 / (1 + Math.exp(-1.702 * v));
  return s + 1.702 * v * s * (1 - s);
};

function residualBlock(t: Tape, x: Value, w: Weights, prefix: string, causal: boolean): Value {
  const attended = t.add(x, attention(t, layerNorm(t, x, w, `${prefix}.ln_1`), w, `${prefix}.attn`, causal));
  const hidden = t.map(
    linear(t, layerNorm(t, attended, w, `${prefix}.ln_2`), w, `${prefix}.mlp.c_fc`),
    quickGelu,
    quickGeluGrad,
  );
  return t.add(attended, linear(t, hidden, w, `${prefix}.mlp.c_proj`));
}

/** One step: `pixels` per image ([3, S, S] normalised), one prompt's token ids, the chosen image's index. */
export function exactPreferenceStep(
  clip: Float64Clip,
  pixels: Float64Array[],
  tokens: ArrayLike<number>,
  chosen: number,
): ExactStep {
  const t = new Tape();
  const shared = new Map<string, Value>();
  const textWeights = weightsOn(t, clip, shared);
  const textDepth = clip.blocks('transformer');
  const textFrozen = clip.textHidden(tokens, textDepth - 1);
  let eot = 0;
  for (let i = 1; i < tokens.length; i++) if (tokens[i]! > tokens[eot]!) eot = i;
  const textOut = residualBlock(
    t,
    t.leaf(textFrozen.rows, textFrozen.cols, textFrozen.data),
    textWeights,
    `transformer.resblocks.${textDepth - 1}`,
    true,
  );
  const text = t.normalizeRows(
    t.matmul(layerNorm(t, t.row(textOut, eot), textWeights, 'ln_final'), textWeights('text_projection')),
  );

  const visionDepth = clip.blocks('visual.transformer');
  const perImage = pixels.map(() => new Map<string, Value>());
  const logits = pixels.map((image, i) => {
    const w = weightsOn(t, clip, perImage[i]!);
    const frozen = clip.visionHidden(image, visionDepth - 1);
    const out = residualBlock(
      t,
      t.leaf(frozen.rows, frozen.cols, frozen.data),
      w,
      `visual.transformer.resblocks.${visionDepth - 1}`,
      false,
    );
    const features = t.normalizeRows(
      t.matmul(layerNorm(t, t.row(out, 0), w, 'visual.ln_post'), w('visual.proj')),
    );
    const cosine = t.sum(t.mul(features, text));
    return t.mul(cosine, t.map(w('logit_scale'), Math.exp, Math.exp));
  });
  const probabilities = t.softmaxRows(t.concatColumns(logits));
  const loss = t.map(
    t.columns(probabilities, chosen, chosen + 1),
    (p) => -Math.log(p),
    (p) => -1 / p,
  );
  t.backward(loss);

  const grads = new Map<string, Float64Array>();
  const shares = new Map<string, Float64Array[]>();
  for (const [name, value] of shared) grads.set(name, value.grad);
  for (const name of perImage[0]!.keys()) {
    const parts = perImage.map((m) => m.get(name)!.grad);
    shares.set(name, parts);
    grads.set(
      name,
      parts[0]!.map((_, k) => parts.reduce((s, p) => s + p[k]!, 0)),
    );
  }
  return { loss: loss.data[0]!, grads, shares };
}
