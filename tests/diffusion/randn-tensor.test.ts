import { describe, expect, it } from 'vitest';
import { randnTensor } from '../../main/services/diffusion/rng/randn-tensor';
import { TorchGenerator } from '../../main/services/diffusion/rng/torch-generator';

describe('randnTensor (diffusers randn_tensor)', () => {
  it('draws the whole tensor from a single generator', () => {
    expect(Array.from(randnTensor(64, new TorchGenerator(4)))).toEqual(
      Array.from(new TorchGenerator(4).randn([64])),
    );
  });

  it('draws each batch item from its own generator', () => {
    const out = randnTensor(2 * 32, [new TorchGenerator(7), new TorchGenerator(8)]);
    expect(Array.from(out.slice(0, 32))).toEqual(Array.from(new TorchGenerator(7).randn([1, 32])));
    expect(Array.from(out.slice(32))).toEqual(Array.from(new TorchGenerator(8).randn([1, 32])));
  });

  it('rejects a generator list that does not divide the batch', () => {
    expect(() =>
      randnTensor(10, [new TorchGenerator(1), new TorchGenerator(2), new TorchGenerator(3)]),
    ).toThrow(/3 generators/);
  });
});
