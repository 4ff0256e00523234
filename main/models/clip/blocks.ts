// The transformer pieces both towers share: OpenAI model.py's ResidualAttentionBlock with
// nn.MultiheadAttention (fused in_proj), pre-norm, x + attn(ln_1(x)), x + mlp(ln_2(x)).
import type { Graph, Tensor } from '../../engine/ir/graph';
import type { ClipActivation, TowerConfig } from './config';

/** Graph tensor of a weight by its reference name. */
export type Params = (name: string) => Tensor;

const BLOCK_PARTS = [
  'ln_1.weight',
  'ln_1.bias',
  'attn.in_proj_weight',
  'attn.in_proj_bias',
  'attn.out_proj.weight',
  'attn.out_proj.bias',
  'ln_2.weight',
  'ln_2.bias',
  'mlp.c_fc.weight',
  'mlp.c_fc.bias',
  'mlp.c_proj.weight',
  'mlp.c_proj.bias',
];

export function blockWeightNames(prefix: string, layers: number): string[] {
  return Array.from({ length: layers }, (_, i) =>
    BLOCK_PARTS.map((part) => `${prefix}.resblocks.${i}.${part}`),
  ).flat();
}

export function layerNorm(g: Graph, x: Tensor, p: Params, name: string, eps: number): Tensor {
  return g.layerNorm(x, p(`${name}.weight`), p(`${name}.bias`), eps);
}

/** nn.MultiheadAttention self-attention on [B, L, W]; `mask` is added to the scores (causal text mask). */
function selfAttention(
  g: Graph,
  x: Tensor,
  p: Params,
  name: string,
  tower: TowerConfig,
  mask?: Tensor,
): Tensor {
  const { width, heads } = tower;
  const length = x.dim(1);
  if (typeof length !== 'number') throw new Error('the sequence length must be static');
  const headDim = width / heads;
  const qkv = g.linear(x, p(`${name}.in_proj_weight`), p(`${name}.in_proj_bias`));
  const [q, k, v] = g
    .split(qkv, [width, width, width], -1)
    .map((t) => t.reshape([0, length, heads, headDim]).transpose([0, 2, 1, 3]));
  const context = g.attention(q!, k!, v!, mask ? { mask } : {});
  const merged = context.transpose([0, 2, 1, 3]).reshape([0, length, width]);
  return g.linear(merged, p(`${name}.out_proj.weight`), p(`${name}.out_proj.bias`));
}

function activate(g: Graph, x: Tensor, activation: ClipActivation): Tensor {
  return activation === 'quick_gelu' ? g.quickGelu(x) : g.gelu(x);
}

export interface BlockSettings {
  tower: TowerConfig;
  activation: ClipActivation;
  eps: number;
  mask?: Tensor;
}

/** Float mask added to the text tower's scores: −∞ above the diagonal (build_attention_mask). */
export function causalMask(g: Graph, length: number): Tensor {
  const data = new Float32Array(length * length);
  for (let i = 0; i < length; i++) data.fill(-Infinity, i * length + i + 1, (i + 1) * length);
  return g.constant(data, [length, length]);
}

export function residualBlock(g: Graph, x: Tensor, p: Params, name: string, s: BlockSettings): Tensor {
  const attended = x.add(
    selfAttention(g, layerNorm(g, x, p, `${name}.ln_1`, s.eps), p, `${name}.attn`, s.tower, s.mask),
  );
  const hidden = activate(
    g,
    g.linear(
      layerNorm(g, attended, p, `${name}.ln_2`, s.eps),
      p(`${name}.mlp.c_fc.weight`),
      p(`${name}.mlp.c_fc.bias`),
    ),
    s.activation,
  );
  return attended.add(g.linear(hidden, p(`${name}.mlp.c_proj.weight`), p(`${name}.mlp.c_proj.bias`)));
}

export function transformer(g: Graph, x: Tensor, p: Params, prefix: string, s: BlockSettings): Tensor {
  let h = x;
  for (let i = 0; i < s.tower.layers; i++) h = residualBlock(g, h, p, `${prefix}.resblocks.${i}`, s);
  return h;
}
