// LAION aesthetic predictor v2 (improved-aesthetic-predictor): an MLP 768→1024→128→64→16→1 without
// activations (its Dropouts are identities at inference), on the L2-normalised CLIP ViT-L/14 image embedding.
import { f32ToF16, toFloat32, viewAs } from '../../checkpoints';
import { Graph, type Tensor } from '../../engine/ir/graph';
import type { TensorTable, WeightStorage } from '../clip/weights';

export const EMBEDDING_INPUT = 'embedding';
export const AESTHETIC_OUTPUT = 'score';
/** nn.Sequential indices of the Linear layers; 1, 3, 5 are Dropouts. */
export const AESTHETIC_LAYERS = [0, 2, 4, 6, 7] as const;

export function aestheticInputWidth(tensors: TensorTable): number {
  const first = tensors.get('layers.0.weight');
  if (!first || first.shape.length !== 2)
    throw new Error('not a LAION aesthetic head: expected layers.{0,2,4,6,7}.{weight,bias}');
  return first.shape[1]!;
}

/** embedding [batch, D] (unnormalised) → score [batch]. Zero-norm rows divide by 1, as the reference's normalized(). */
export async function buildAestheticGraph(tensors: TensorTable, storage: WeightStorage): Promise<Graph> {
  const g = new Graph('laion_aesthetic');
  const width = aestheticInputWidth(tensors);
  const x = g.input(EMBEDDING_INPUT, ['batch', width]);
  const norm = x.mul(x).sum([-1], true).sqrt();
  let h: Tensor = x.div(g.where(g.equal(norm, 0), 1, norm));
  let inWidth = width;
  for (const index of AESTHETIC_LAYERS) {
    const weight = await param(g, tensors, `layers.${index}.weight`, storage);
    const bias = await param(g, tensors, `layers.${index}.bias`, storage);
    if (weight.dim(1) !== inWidth)
      throw new Error(
        `layers.${index}.weight takes ${weight.dim(1)} inputs, the previous layer gives ${inWidth}`,
      );
    h = g.linear(h, weight, bias);
    inWidth = weight.dim(0) as number;
  }
  if (inWidth !== 1) throw new Error(`the aesthetic head ends in ${inWidth} outputs, not 1`);
  g.output(AESTHETIC_OUTPUT, h.squeeze([1]));
  return g;
}

async function param(g: Graph, tensors: TensorTable, name: string, storage: WeightStorage): Promise<Tensor> {
  const t = tensors.get(name);
  if (!t) throw new Error(`the aesthetic head has no ${name}`);
  const bytes = await t.read();
  const data =
    storage === 'f16'
      ? t.dtype === 'F16'
        ? viewAs('F16', bytes)
        : f32ToF16(toFloat32(t.dtype, bytes))
      : toFloat32(t.dtype, bytes);
  return g.param(name, data, { shape: t.shape });
}
