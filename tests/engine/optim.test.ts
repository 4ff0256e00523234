import { describe, expect, it } from 'vitest';
import {
  AdamW,
  SGD,
  clipGradNorm,
  GradientAccumulator,
  constantSchedule,
  cosineWithWarmup,
} from '../../main/engine/optim';
import { expectWithin } from '../parity';

// Float64 references written from the algorithm boxes in the torch.optim docs (not from our code).
function torchAdamWReference(
  p0: number[],
  grads: number[][],
  lr: number,
  b1: number,
  b2: number,
  eps: number,
  wd: number,
): number[] {
  const p = [...p0];
  const m = p.map(() => 0);
  const v = p.map(() => 0);
  grads.forEach((g, k) => {
    const t = k + 1;
    for (let i = 0; i < p.length; i++) {
      p[i] = p[i]! - lr * wd * p[i]!;
      m[i] = b1 * m[i]! + (1 - b1) * g[i]!;
      v[i] = b2 * v[i]! + (1 - b2) * g[i]! ** 2;
      const mHat = m[i]! / (1 - b1 ** t);
      const vHat = v[i]! / (1 - b2 ** t);
      p[i] = p[i]! - (lr * mHat) / (Math.sqrt(vHat) + eps);
    }
  });
  return p;
}

function expectClose(got: ArrayLike<number>, want: readonly number[], rel = 2e-6): void {
  expect(got.length).toBe(want.length);
  let worst = 0;
  for (let i = 0; i < want.length; i++)
    worst = Math.max(worst, Math.abs(got[i]! - want[i]!) / Math.max(1, Math.abs(want[i]!)));
  expectWithin('optimizer vs torch reference, |Δ| / max(1, |want|)', worst, rel);
}

const GRADS = [
  [0.5, -1.2, 3.0, 0.0],
  [0.4, -0.7, -2.0, 1e-3],
  [-0.1, 0.9, 1.5, -0.25],
  [0.3, 0.2, -0.6, 0.75],
  [2.0, -0.05, 0.01, -1.5],
];

describe('AdamW', () => {
  it('first step by hand: p·(1 − lr·wd) − lr·g/(|g| + eps)', () => {
    const params = { w: Float32Array.of(1) };
    new AdamW({ lr: 0.1, weightDecay: 0.01 }).step(params, { w: Float32Array.of(0.5) });
    expect(params.w[0]).toBeCloseTo(0.999 - 0.1 * (0.5 / (0.5 + 1e-8)), 6);
  });

  it('matches the torch.optim.AdamW algorithm over five steps', () => {
    const p0 = [1.0, -0.5, 0.25, 2.0];
    const params = { w: Float32Array.from(p0) };
    const opt = new AdamW({ lr: 1e-2, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 1e-2 });
    for (const g of GRADS) opt.step(params, { w: Float32Array.from(g) });
    expectClose(params.w, torchAdamWReference(p0, GRADS, 1e-2, 0.9, 0.999, 1e-8, 1e-2));
    expect(params.w[0]).not.toBeCloseTo(p0[0]!, 3);
  });

  it('state() / load() resumes to the same trajectory, including lr', () => {
    const p0 = [0.3, -0.2, 0.1, 0.9];
    const straight = { w: Float32Array.from(p0) };
    const a = new AdamW({ lr: 5e-3, betas: [0.8, 0.99] });
    for (const g of GRADS) a.step(straight, { w: Float32Array.from(g) });

    const resumed = { w: Float32Array.from(p0) };
    const b = new AdamW({ lr: 5e-3, betas: [0.8, 0.99] });
    for (const g of GRADS.slice(0, 2)) b.step(resumed, { w: Float32Array.from(g) });
    const saved = structuredClone(b.state());
    const c = new AdamW({ lr: 123, betas: [0.8, 0.99] });
    c.load(saved);
    expect(c.lr).toBe(5e-3);
    expect(c.state()).toEqual(saved);
    for (const g of GRADS.slice(2)) c.step(resumed, { w: Float32Array.from(g) });
    expect(Array.from(resumed.w)).toEqual(Array.from(straight.w));
  });

  it('changing lr per step follows the schedule value', () => {
    const p0 = [1, 1, 1, 1];
    const params = { w: Float32Array.from(p0) };
    const opt = new AdamW({ lr: 0, weightDecay: 0 });
    opt.step(params, { w: Float32Array.from(GRADS[0]!) });
    expect(Array.from(params.w)).toEqual(p0);
    opt.lr = 0.1;
    opt.step(params, { w: Float32Array.from(GRADS[1]!) });
    expect(params.w[0]).toBeLessThan(1);
  });

  it('rejects mismatched gradients and state of another optimizer', () => {
    const opt = new AdamW({ lr: 1 });
    expect(() => opt.step({ w: new Float32Array(2) }, { w: new Float32Array(3) })).toThrow(/3 elements/);
    expect(() => opt.step({ w: new Float32Array(2) }, { v: new Float32Array(2) })).toThrow(
      /no matching parameter/,
    );
    expect(() => opt.load(new SGD({ lr: 1 }).state())).toThrow(/sgd/);
  });
});

describe('SGD', () => {
  function torchSgdReference(
    p0: number[],
    grads: number[][],
    lr: number,
    mu: number,
    damp: number,
    wd: number,
    nesterov: boolean,
  ): number[] {
    const p = [...p0];
    let buf: number[] | undefined;
    for (const g0 of grads) {
      const g = g0.map((g, i) => g + wd * p[i]!);
      buf = buf ? buf.map((b, i) => mu * b + (1 - damp) * g[i]!) : [...g];
      const d = nesterov ? g.map((x, i) => x + mu * buf![i]!) : buf;
      for (let i = 0; i < p.length; i++) p[i] = p[i]! - lr * d[i]!;
    }
    return p;
  }

  it('plain SGD: p − lr·g', () => {
    const params = { w: Float32Array.of(1, 2) };
    new SGD({ lr: 0.5 }).step(params, { w: Float32Array.of(0.25, -1) });
    expect(Array.from(params.w)).toEqual([0.875, 2.5]);
  });

  for (const nesterov of [false, true]) {
    it(`momentum ${nesterov ? 'Nesterov' : 'classic'} with weight decay matches torch.optim.SGD`, () => {
      const p0 = [1.0, -0.5, 0.25, 2.0];
      const params = { w: Float32Array.from(p0) };
      const opt = new SGD({ lr: 0.05, momentum: 0.9, weightDecay: 1e-3, nesterov });
      for (const g of GRADS) opt.step(params, { w: Float32Array.from(g) });
      expectClose(params.w, torchSgdReference(p0, GRADS, 0.05, 0.9, 0, 1e-3, nesterov));
    });
  }

  it('state round-trips', () => {
    const opt = new SGD({ lr: 0.1, momentum: 0.5, dampening: 0.1 });
    opt.step({ w: Float32Array.of(1, 2) }, { w: Float32Array.of(3, 4) });
    const other = new SGD({ lr: 0.1, momentum: 0.5, dampening: 0.1 });
    other.load(opt.state());
    expect(other.state()).toEqual(opt.state());
    const a = { w: Float32Array.of(1, 2) };
    const b = { w: Float32Array.of(1, 2) };
    opt.step(a, { w: Float32Array.of(-1, 1) });
    other.step(b, { w: Float32Array.of(-1, 1) });
    expect(Array.from(a.w)).toEqual(Array.from(b.w));
  });
});

describe('clipGradNorm', () => {
  it('returns the global norm and scales by maxNorm / (norm + 1e-6) when above', () => {
    const grads = { a: Float32Array.of(3, 0), b: Float32Array.of(0, 4) }; // norm 5
    const norm = clipGradNorm(grads, 1);
    expect(norm).toBeCloseTo(5, 6);
    const coef = 1 / (5 + 1e-6);
    expectClose(grads.a, [3 * coef, 0]);
    expectClose(grads.b, [0, 4 * coef]);
  });

  it('leaves gradients below the limit alone', () => {
    const grads = { a: Float32Array.of(0.3, 0.4) };
    expect(clipGradNorm(grads, 1)).toBeCloseTo(0.5, 6);
    expect(Array.from(grads.a)).toEqual([Math.fround(0.3), Math.fround(0.4)]);
  });

  it('can refuse a non-finite norm', () => {
    expect(() => clipGradNorm({ a: Float32Array.of(NaN) }, 1, { errorIfNonfinite: true })).toThrow(/NaN/);
  });
});

describe('GradientAccumulator', () => {
  it('sums and averages micro-batches', () => {
    const acc = new GradientAccumulator();
    acc.add({ w: Float32Array.of(1, 2) });
    acc.add({ w: Float32Array.of(3, -4) });
    expect(acc.count).toBe(2);
    expect(Array.from(acc.result('sum').w!)).toEqual([4, -2]);
    expect(Array.from(acc.result('average').w!)).toEqual([2, -1]);
    acc.reset();
    expect(() => acc.result()).toThrow(/no micro-batch/);
  });

  it('rejects a micro-batch with different names', () => {
    const acc = new GradientAccumulator();
    acc.add({ w: Float32Array.of(1) });
    expect(() => acc.add({ v: Float32Array.of(1) })).toThrow(/differ/);
  });
});

describe('lr schedules', () => {
  it('constant with warmup ramps linearly', () => {
    const lr = constantSchedule({ lr: 1e-4, warmupSteps: 4 });
    expect([0, 1, 2, 4, 100].map(lr)).toEqual([0, 2.5e-5, 5e-5, 1e-4, 1e-4]);
  });

  it('cosine with warmup: peak after warmup, half at mid-decay, zero at the end', () => {
    const lr = cosineWithWarmup({ lr: 1, warmupSteps: 10, totalSteps: 110 });
    expect(lr(5)).toBeCloseTo(0.5, 12);
    expect(lr(10)).toBeCloseTo(1, 12);
    expect(lr(60)).toBeCloseTo(0.5, 12);
    expect(lr(35)).toBeCloseTo(0.5 * (1 + Math.cos(Math.PI / 4)), 12);
    expect(lr(110)).toBeCloseTo(0, 12);
    expect(lr(500)).toBeCloseTo(0, 12);
  });

  it('cosine with a floor decays to minLr', () => {
    const lr = cosineWithWarmup({ lr: 1, warmupSteps: 0, totalSteps: 10, minLr: 0.1 });
    expect(lr(0)).toBeCloseTo(1, 12);
    expect(lr(10)).toBeCloseTo(0.1, 12);
  });
});
