// Diffusion-DPO's loss in the graph: its value equals the reference formula computed by hand, and its
// gradient matches central finite differences (float64 on cpu) — in the working range and at β = 5000.
import { describe, expect, it } from 'vitest';
import { Graph } from '../../main/engine/ir/graph';
import { dpoLoss } from '../../main/services/training/lora/graph';
import { compile, gradCheck, randn, rng } from '../engine/helpers';
import { expectWithin } from '../parity';

const PAIRS = 2;
const WIDTH = 3;

/** −logsigmoid(−0.5·β·((w − l) − (rw − rl))), averaged over pairs, from per-sample mean squares. */
function referenceLoss(values: number[], beta: number): number {
  const perSample = Array.from(
    { length: 4 * PAIRS },
    (_, s) => values.slice(s * WIDTH, (s + 1) * WIDTH).reduce((a, v) => a + v * v, 0) / WIDTH,
  );
  let total = 0;
  for (let p = 0; p < PAIRS; p++) {
    const inside =
      -0.5 *
      beta *
      (perSample[p]! - perSample[PAIRS + p]! - (perSample[2 * PAIRS + p]! - perSample[3 * PAIRS + p]!));
    total += -Math.log(1 / (1 + Math.exp(-inside)));
  }
  return total / PAIRS;
}

function build(beta: number) {
  return (g: Graph, inputs: Record<string, ReturnType<Graph['input']>>) =>
    dpoLoss(g, g.mean(g.mul(inputs.x!, inputs.x!), [1]), { beta, pairs: PAIRS });
}

describe('Diffusion-DPO loss', () => {
  for (const [beta, scale] of [
    [5000, 0.03],
    [2, 1],
  ] as const) {
    const values = randn(rng(7), 4 * PAIRS * WIDTH, scale);

    it(`β = ${beta}: the value equals −logsigmoid(−0.5·β·Δ) by hand`, async () => {
      const g = new Graph('dpo-value');
      const x = g.input('x', [4 * PAIRS, WIDTH]);
      g.output('loss', build(beta)(g, { x }));
      const compiled = await compile(g, { precision: 'fp32' });
      try {
        const out = await compiled.run({ x: { data: Float32Array.from(values), dims: [4 * PAIRS, WIDTH] } });
        const ours = (out.loss!.data as Float32Array)[0]!;
        const ref = referenceLoss(values, beta);
        expect(ref).toBeGreaterThan(0.01);
        expectWithin(`β = ${beta}: loss vs the reference`, Math.abs(ours - ref) / ref, 1e-4);
      } finally {
        await compiled.release();
      }
    });

    it(`β = ${beta}: the gradient matches finite differences`, async () => {
      const result = await gradCheck([{ name: 'x', shape: [4 * PAIRS, WIDTH], values }], build(beta));
      expectWithin(
        `β = ${beta}: ${result.precision} gradient vs finite differences`,
        result.maxError,
        result.precision === 'fp64' ? 1e-6 : 2e-2,
      );
    });
  }

  it('does not overflow where the sigmoid saturates (β = 5000, large differences)', async () => {
    const g = new Graph('dpo-saturated');
    const x = g.input('x', [4 * PAIRS, WIDTH]);
    g.output('loss', build(5000)(g, { x }));
    const compiled = await compile(g, { precision: 'fp32' });
    try {
      const values = randn(rng(3), 4 * PAIRS * WIDTH, 3);
      const out = await compiled.run({ x: { data: Float32Array.from(values), dims: [4 * PAIRS, WIDTH] } });
      const ours = (out.loss!.data as Float32Array)[0]!;
      expect(Number.isFinite(ours)).toBe(true);
      // In saturation softplus(u) ≈ max(u, 0): the hand value is finite there too.
      const perSample = Array.from(
        { length: 4 * PAIRS },
        (_, s) => values.slice(s * WIDTH, (s + 1) * WIDTH).reduce((a, v) => a + v * v, 0) / WIDTH,
      );
      let expected = 0;
      for (let p = 0; p < PAIRS; p++) {
        const u =
          0.5 *
          5000 *
          (perSample[p]! - perSample[PAIRS + p]! - (perSample[2 * PAIRS + p]! - perSample[3 * PAIRS + p]!));
        expected += Math.max(u, 0) + Math.log1p(Math.exp(-Math.abs(u)));
      }
      expected /= PAIRS;
      expectWithin('DPO loss vs its closed form', Math.abs(ours - expected) / Math.max(1, expected), 1e-4);
    } finally {
      await compiled.release();
    }
  });
});
