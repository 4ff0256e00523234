/**
 * diffusers' `randn_tensor`: one generator draws the whole tensor; a list of generators (one per batch
 * item, e.g. one seed per image) draws each item's slice from its own generator, so an image of a batch can
 * be reproduced alone from its seed.
 */
import { TorchGenerator } from './torch-generator';

export type Generators = TorchGenerator | readonly TorchGenerator[];

/** Normal noise of `size` values whose first dimension is split across the generators of a list. */
export function randnTensor(size: number, generators: Generators): Float32Array {
  if (generators instanceof TorchGenerator) return generators.randn([size]);
  const batch = generators.length;
  if (batch === 0 || size % batch !== 0) {
    throw new Error(`${batch} generators cannot split a tensor of ${size} values into equal batch items`);
  }
  const itemSize = size / batch;
  const out = new Float32Array(size);
  generators.forEach((generator, i) => out.set(generator.randn([itemSize]), i * itemSize));
  return out;
}
