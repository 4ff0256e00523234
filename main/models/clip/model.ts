// A CLIP checkpoint as two engine graphs (image tower, text tower) with their sizes inferred from shapes.
import { Graph, type Tensor } from '../../engine/ir/graph';
import { inferClipConfig, type ClipActivation, type ClipConfig, type HeadOptions } from './config';
import { buildTextTower, buildVisionTower, textWeightNames, visionWeightNames } from './towers';
import { ClipWeights, type TensorTable, type WeightArray, type WeightStorage } from './weights';

export type ClipTower = 'vision' | 'text';

export interface ClipModelOptions {
  activation: ClipActivation;
  heads: HeadOptions;
}

export class ClipModel {
  readonly config: ClipConfig;

  constructor(
    readonly weights: ClipWeights,
    options: ClipModelOptions,
  ) {
    this.config = inferClipConfig(weights, options.activation, options.heads);
  }

  static fromTensors(tensors: TensorTable, options: ClipModelOptions): ClipModel {
    return new ClipModel(new ClipWeights(tensors), options);
  }

  /** exp(logit_scale) of the checkpoint (PickScore's temperature), or undefined when it has none. */
  async logitScale(): Promise<number | undefined> {
    if (!this.weights.has('logit_scale')) return undefined;
    return Math.exp((await this.weights.read('logit_scale', 'f32'))[0]!);
  }

  /** Reads the tower's weights (f16 → f32 for CPU, or kept half for the GPU fp16 policy) and builds its graph. */
  async buildGraph(tower: ClipTower, storage: WeightStorage): Promise<Graph> {
    const names = tower === 'vision' ? visionWeightNames(this.config) : textWeightNames(this.config);
    const data = new Map<string, WeightArray>();
    for (const name of names) data.set(name, await this.weights.read(name, storage));
    const g = new Graph(tower === 'vision' ? 'clip_vision' : 'clip_text');
    const params = new Map<string, Tensor>();
    const p = (name: string): Tensor => {
      let t = params.get(name);
      if (!t) {
        const values = data.get(name);
        if (!values) throw new Error(`weight ${name} was not loaded for the ${tower} tower`);
        t = g.param(name, values, { shape: this.weights.shape(name) });
        params.set(name, t);
      }
      return t;
    };
    if (tower === 'vision') buildVisionTower(g, this.config, p);
    else buildTextTower(g, this.config, p);
    return g;
  }
}
