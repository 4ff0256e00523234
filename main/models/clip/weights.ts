// Reads CLIP weights under the reference's (OpenAI model.py) names whatever the checkpoint's layout: OpenAI /
// open_clip state dicts use those names already; HF transformers' CLIPModel names are mapped onto them here,
// so one graph builder serves every layout.
import { f32ToF16, toFloat32, viewAs, type TensorData } from '../../checkpoints';
import type { WeightStorage } from '../../engine/ir/graph';

export type TensorTable = ReadonlyMap<string, TensorData>;

/** 'openai': OpenAI CLIP and open_clip (visual.*, transformer.resblocks.N.*); 'hf': transformers CLIPModel. */
export type ClipLayout = 'openai' | 'hf';

export type { WeightStorage };
export type WeightArray = Float32Array | Uint16Array;

/** Where a reference-named tensor comes from: one tensor, HF's q/k/v stacked into in_proj, or a transposed Linear. */
interface Source {
  names: readonly string[];
  transform: 'none' | 'concat' | 'transpose';
}

export function detectClipLayout(tensors: TensorTable): ClipLayout {
  if (tensors.has('visual.conv1.weight') || tensors.has('token_embedding.weight')) return 'openai';
  if (
    tensors.has('vision_model.embeddings.patch_embedding.weight') ||
    tensors.has('text_model.embeddings.token_embedding.weight')
  )
    return 'hf';
  const sample = [...tensors.keys()].slice(0, 5).join(', ');
  throw new Error(
    `not a CLIP checkpoint: expected OpenAI/open_clip names (visual.conv1.weight, token_embedding.weight) or ` +
      `transformers CLIPModel names (vision_model.*, text_model.*); found ${tensors.size} tensors such as ${sample}`,
  );
}

const HF_BLOCK_PARTS: Record<string, string> = {
  ln_1: 'layer_norm1',
  ln_2: 'layer_norm2',
  'attn.out_proj': 'self_attn.out_proj',
  'mlp.c_fc': 'mlp.fc1',
  'mlp.c_proj': 'mlp.fc2',
};

const HF_TOP: Record<string, Source> = {
  'visual.conv1.weight': one('vision_model.embeddings.patch_embedding.weight'),
  'visual.class_embedding': one('vision_model.embeddings.class_embedding'),
  'visual.positional_embedding': one('vision_model.embeddings.position_embedding.weight'),
  'visual.ln_pre.weight': one('vision_model.pre_layrnorm.weight'),
  'visual.ln_pre.bias': one('vision_model.pre_layrnorm.bias'),
  'visual.ln_post.weight': one('vision_model.post_layernorm.weight'),
  'visual.ln_post.bias': one('vision_model.post_layernorm.bias'),
  'visual.proj': { names: ['visual_projection.weight'], transform: 'transpose' },
  'token_embedding.weight': one('text_model.embeddings.token_embedding.weight'),
  positional_embedding: one('text_model.embeddings.position_embedding.weight'),
  'ln_final.weight': one('text_model.final_layer_norm.weight'),
  'ln_final.bias': one('text_model.final_layer_norm.bias'),
  text_projection: { names: ['text_projection.weight'], transform: 'transpose' },
  logit_scale: one('logit_scale'),
};

function one(name: string): Source {
  return { names: [name], transform: 'none' };
}

/** transformers' name(s) for a reference name. */
function hfSource(name: string): Source | undefined {
  const top = HF_TOP[name];
  if (top) return top;
  const block =
    /^(visual\.)?transformer\.resblocks\.(\d+)\.(.+)\.(weight|bias)$/.exec(name) ??
    /^(visual\.)?transformer\.resblocks\.(\d+)\.attn\.(in_proj)_(weight|bias)$/.exec(name);
  if (!block) return undefined;
  const [, visual, index, part, kind] = block;
  const prefix = `${visual ? 'vision_model' : 'text_model'}.encoder.layers.${index}`;
  if (part === 'in_proj')
    return {
      names: ['q', 'k', 'v'].map((p) => `${prefix}.self_attn.${p}_proj.${kind}`),
      transform: 'concat',
    };
  const mapped = HF_BLOCK_PARTS[part!];
  return mapped ? one(`${prefix}.${mapped}.${kind}`) : undefined;
}

export class ClipWeights {
  readonly layout: ClipLayout;

  constructor(readonly tensors: TensorTable) {
    this.layout = detectClipLayout(tensors);
  }

  private source(name: string): Source | undefined {
    const source = this.layout === 'openai' ? one(name) : hfSource(name);
    return source && source.names.every((n) => this.tensors.has(n)) ? source : undefined;
  }

  has(name: string): boolean {
    return this.source(name) !== undefined;
  }

  /** Shape under the reference name, from the header alone. */
  shape(name: string): number[] {
    const source = this.require(name);
    const shapes = source.names.map((n) => this.tensors.get(n)!.shape);
    if (source.transform === 'transpose') return [...shapes[0]!].reverse();
    if (source.transform === 'concat')
      return [shapes.reduce((rows, s) => rows + s[0]!, 0), ...shapes[0]!.slice(1)];
    return [...shapes[0]!];
  }

  /** Blocks of a tower ('visual.transformer' or 'transformer'), counted like OpenAI's build_model. */
  countBlocks(prefix: string): number {
    let count = 0;
    while (this.has(`${prefix}.resblocks.${count}.attn.in_proj_weight`)) count++;
    return count;
  }

  async read(name: string, storage: WeightStorage): Promise<WeightArray> {
    const source = this.require(name);
    const parts = await Promise.all(source.names.map((n) => readAs(this.tensors.get(n)!, storage, n)));
    if (source.transform === 'concat') return concat(parts);
    if (source.transform === 'transpose') {
      const [rows, cols] = this.tensors.get(source.names[0]!)!.shape as [number, number];
      return transpose2d(parts[0]!, rows, cols);
    }
    return parts[0]!;
  }

  private require(name: string): Source {
    const source = this.source(name);
    if (!source) throw new Error(`the checkpoint (${this.layout} layout) has no tensor for ${name}`);
    return source;
  }
}

async function readAs(t: TensorData, storage: WeightStorage, name: string): Promise<WeightArray> {
  const bytes = await t.read();
  try {
    if (storage === 'f16')
      return t.dtype === 'F16' ? viewAs('F16', bytes) : f32ToF16(toFloat32(t.dtype, bytes));
    return toFloat32(t.dtype, bytes);
  } catch (error) {
    throw new Error(`tensor ${name}: ${(error as Error).message}`, { cause: error });
  }
}

function concat(parts: readonly WeightArray[]): WeightArray {
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = parts[0] instanceof Float32Array ? new Float32Array(total) : new Uint16Array(total);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

function transpose2d(data: WeightArray, rows: number, cols: number): WeightArray {
  const out = data instanceof Float32Array ? new Float32Array(data.length) : new Uint16Array(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c]!;
  return out;
}
