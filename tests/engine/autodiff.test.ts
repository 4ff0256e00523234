// Structure of the backward pass: accumulation, broadcasting, one model for loss + grads, edge cases.
import { describe, expect, it } from 'vitest';
import { addTrainingOutputs, gradients } from '../../main/engine/autodiff';
import { Graph } from '../../main/engine/ir/graph';
import { lowerGraph } from '../../main/engine/onnx/lower';
import { maxAbsDiff, runGraph } from './helpers';
import { expectWithin } from '../parity';

const f32 = (values: number[], dims: number[]) => ({ data: Float32Array.from(values), dims });

describe('autodiff', () => {
  it('accumulates the gradient of a value used twice (d/dx Σ x·x + 3x = 2x + 3)', async () => {
    const g = new Graph();
    const x = g.input('x', [4], { trainable: true });
    addTrainingOutputs(g, g.sumAll(g.add(g.mul(x, x), g.mul(x, 3))));
    const out = await runGraph(g, { x: f32([1, -2, 0.5, 3], [4]) });
    expect(Array.from(out['grad/x']!.data as Float32Array)).toEqual([5, -1, 4, 9]);
    expect((out.loss!.data as Float32Array)[0]).toBeCloseTo(1 + 4 + 0.25 + 9 + 3 * 2.5, 5);
  });

  it('reduces broadcast gradients to each input shape', async () => {
    const g = new Graph();
    const a = g.input('a', [2, 3], { trainable: true });
    const b = g.input('b', [3], { trainable: true });
    const c = g.input('c', [2, 1], { trainable: true });
    // loss = Σ (a + b) · c  →  da = c broadcast, db = Σ_rows c, dc = Σ_cols (a + b)
    addTrainingOutputs(g, g.sumAll(g.mul(g.add(a, b), c)));
    const out = await runGraph(g, {
      a: f32([1, 2, 3, 4, 5, 6], [2, 3]),
      b: f32([10, 20, 30], [3]),
      c: f32([2, -1], [2, 1]),
    });
    expect(out['grad/a']!.dims).toEqual([2, 3]);
    expect(Array.from(out['grad/a']!.data as Float32Array)).toEqual([2, 2, 2, -1, -1, -1]);
    expect(out['grad/b']!.dims).toEqual([3]);
    expect(Array.from(out['grad/b']!.data as Float32Array)).toEqual([1, 1, 1]);
    expect(out['grad/c']!.dims).toEqual([2, 1]);
    expect(Array.from(out['grad/c']!.data as Float32Array)).toEqual([66, 75]);
  });

  it('emits one model that returns the loss, forward outputs and every gradient', async () => {
    const g = new Graph();
    const x = g.input('x', [2, 3]);
    const w = g.param('w', Float32Array.from([1, 0, -1, 2, 1, 0]), { shape: [2, 3], trainable: true });
    const b = g.param('b', Float32Array.from([0.5, -0.5]), { shape: [2], trainable: true });
    const frozen = g.param('frozen', Float32Array.from([2, 2]), { shape: [2] });
    const y = g.output('y', g.mul(g.linear(x, w, b), frozen));
    addTrainingOutputs(g, g.meanAll(g.mul(y, y)));
    const lowered = lowerGraph(g);
    expect(lowered.outputs.map((o) => o.name).sort()).toEqual(['grad/b', 'grad/w', 'loss', 'y']);
    expect(lowered.inputs.map((i) => i.name)).toEqual(['x', 'w', 'b']);
    expect(lowered.model.graph.initializers.some((t) => t.name === 'frozen')).toBe(true);
    const xs = [1, 2, 3, -1, 0, 1];
    const out = await runGraph(g, {
      x: f32(xs, [2, 3]),
      w: f32([1, 0, -1, 2, 1, 0], [2, 3]),
      b: f32([0.5, -0.5], [2]),
    });
    // Hand computation: y = 2·(x·wᵀ + b); loss = mean(y²); dL/dz = 2·2·y/4 with z = x·wᵀ + b.
    const z = [1 - 3 + 0.5, 2 + 2 - 0.5, -1 - 1 + 0.5, -2 + 0 - 0.5];
    const yv = z.map((v) => 2 * v);
    const dz = yv.map((v) => (2 * v * 2) / 4);
    expectWithin('y vs hand computation', maxAbsDiff(out.y!.data as Float32Array, yv), 1e-6);
    expect((out.loss!.data as Float32Array)[0]).toBeCloseTo(yv.reduce((a, v) => a + v * v, 0) / 4, 5);
    const dw = [0, 1].flatMap((o) => [0, 1, 2].map((i) => dz[o]! * xs[i]! + dz[2 + o]! * xs[3 + i]!));
    expectWithin('dL/dw vs hand computation', maxAbsDiff(out['grad/w']!.data as Float32Array, dw), 1e-5);
    expectWithin(
      'dL/db vs hand computation',
      maxAbsDiff(out['grad/b']!.data as Float32Array, [dz[0]! + dz[2]!, dz[1]! + dz[3]!]),
      1e-5,
    );
  });

  it('gives zeros to a trainable input that does not reach the loss, and skips integer paths', async () => {
    const g = new Graph();
    const x = g.input('x', [3], { trainable: true });
    g.input('unused', [2], { trainable: true });
    const idx = g.input('idx', [2], { dtype: 'i32' });
    const picked = g.gather(x, idx);
    addTrainingOutputs(g, g.sumAll(g.mul(picked, g.cast(idx, 'f32'))));
    const out = await runGraph(g, {
      x: f32([1, 2, 3], [3]),
      unused: f32([7, 7], [2]),
      idx: { data: Int32Array.from([2, 2]), dims: [2] },
    });
    expect(Array.from(out['grad/x']!.data as Float32Array)).toEqual([0, 0, 4]);
    expect(Array.from(out['grad/unused']!.data as Float32Array)).toEqual([0, 0]);
  });

  it('refuses a non-scalar loss and an op without a gradient rule on the path', () => {
    const g = new Graph();
    const x = g.input('x', [3], { trainable: true });
    expect(() => gradients(g, x.exp(), [x])).toThrow(/scalar/);
    const s = g.sumAll(g.mul(g.sign(x), x));
    expect(() => gradients(g, s, [x])).toThrow(/Sign has no gradient rule/);
  });

  it('runs a symbolic batch and differentiates it at two batch sizes', async () => {
    const g = new Graph();
    const x = g.input('x', ['batch', 3]);
    const w = g.input('w', [3, 2], { trainable: true });
    const h = g.reshape(g.matmul(x, w), [-1]);
    expect(h.shape).toEqual(['2*batch']);
    const z = g.reshapeLike(h, g.matmul(x, w));
    addTrainingOutputs(g, g.add(g.sumAll(z), g.meanAll(z)));
    for (const batch of [1, 3]) {
      const xs = Array.from({ length: batch * 3 }, (_, i) => i + 1);
      const out = await runGraph(g, { x: f32(xs, [batch, 3]), w: f32([1, 2, 3, 4, 5, 6], [3, 2]) });
      const colSums = [0, 1, 2].map((i) => xs.filter((_, k) => k % 3 === i).reduce((a, v) => a + v, 0));
      // d/dw of Σz + mean z = (1 + 1/(2·batch)) · column sums of x.
      const expected = colSums.flatMap((s) => [s, s].map((v) => v * (1 + 1 / (2 * batch))));
      expectWithin(
        `batch ${batch}: dL/dw vs column sums`,
        maxAbsDiff(out['grad/w']!.data as Float32Array, expected),
        1e-4,
      );
    }
  });
});
