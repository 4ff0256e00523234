/**
 * UniPC, after diffusers/src/diffusers/schedulers/scheduling_unipc_multistep.py (UniPCMultistepScheduler
 * with its defaults: order 2, data prediction, B(h) = e^h − 1 ("bh2"), lower_order_final, corrector on every
 * step): each step first corrects the current sample with the new model output (UniC), then predicts the
 * next one (UniP).
 */
import { linearCombination } from './linear-combination';
import { MultistepScheduler } from './multistep-base';

const SOLVER_ORDER = 2;

interface Coefficients {
  /** r_k = (λ_{s_k} − λ_{s0}) / h for the older points, then 1. */
  rks: number[];
  /** The order-many right-hand sides b_i = h·φ_{i+1}(h)·i! / B(h). */
  b: number[];
  hPhi1: number;
  bh: number;
}

export class UniPcScheduler extends MultistepScheduler {
  /** x0 predictions and their timesteps, oldest first, at most SOLVER_ORDER. */
  private history: Array<{ x0: Float32Array; timestep: number }> = [];
  private lowerOrderNums = 0;
  private lastSample: Float32Array | undefined;
  private lastOrder = 1;

  protected resetHistory(): void {
    this.history = [];
    this.lowerOrderNums = 0;
    this.lastSample = undefined;
    this.lastOrder = 1;
  }

  step(modelOutput: Float32Array, timestep: number, sample: Float32Array): Float32Array {
    const index = this.stepIndexOf(timestep);
    const x0 = this.predictX0(modelOutput, timestep, sample);
    let current = sample;
    if (index > 0 && this.lastSample) current = this.correct(x0, timestep, this.lastSample, this.lastOrder);

    this.history = [...this.history.slice(-(SOLVER_ORDER - 1)), { x0, timestep }];
    const remaining = this.timesteps.length - index;
    const order = Math.min(
      this.config.lowerOrderFinal ? Math.min(SOLVER_ORDER, remaining) : SOLVER_ORDER,
      this.lowerOrderNums + 1,
    );
    this.lastOrder = order;
    this.lastSample = current;
    const next = this.predict(this.nextTimestep(index), current, order);
    if (this.lowerOrderNums < SOLVER_ORDER) this.lowerOrderNums++;
    return next;
  }

  /** UniP: x_t from the sample at the newest history point s0. */
  private predict(t: number, sample: Float32Array, order: number): Float32Array {
    const s0 = this.history[this.history.length - 1]!;
    const { rks, b, hPhi1, bh } = this.coefficients(s0.timestep, t, order);
    // diffusers fixes ρ = 1/2 for order 2 instead of solving the 1×1 system.
    const rhos =
      order === 2 ? [0.5] : order > 2 ? solve(powerMatrix(rks.slice(0, -1), order - 1), b.slice(0, -1)) : [];
    const terms = this.baseTerms(s0, t, sample, hPhi1);
    this.addDifferenceTerms(terms, rks, rhos, -this.vp.alpha[t]! * bh);
    return linearCombination(terms);
  }

  /** UniC: re-derives the sample at `t` from the previous sample with the new model output included. */
  private correct(modelX0: Float32Array, t: number, lastSample: Float32Array, order: number): Float32Array {
    const s0 = this.history[this.history.length - 1]!;
    const { rks, b, hPhi1, bh } = this.coefficients(s0.timestep, t, order);
    const rhos = order === 1 ? [0.5] : solve(powerMatrix(rks, order), b);
    const factor = -this.vp.alpha[t]! * bh;
    const terms = this.baseTerms(s0, t, lastSample, hPhi1);
    this.addDifferenceTerms(terms, rks, rhos.slice(0, -1), factor);
    const rhoT = rhos[rhos.length - 1]!;
    terms.push([factor * rhoT, modelX0], [-factor * rhoT, s0.x0]);
    return linearCombination(terms);
  }

  /** σ_t/σ_s0 · x − α_t·hφ1 · m0: the first-order (DDIM-like) part. */
  private baseTerms(s0: { x0: Float32Array; timestep: number }, t: number, x: Float32Array, hPhi1: number) {
    const { alpha, sigma } = this.vp;
    const terms: Array<readonly [number, Float32Array]> = [
      [sigma[t]! / sigma[s0.timestep]!, x],
      [-alpha[t]! * hPhi1, s0.x0],
    ];
    return terms;
  }

  /** Adds factor · Σ_k ρ_k · (m_k − m0)/r_k over the older history points. */
  private addDifferenceTerms(
    terms: Array<readonly [number, Float32Array]>,
    rks: number[],
    rhos: number[],
    factor: number,
  ): void {
    const m0 = this.history[this.history.length - 1]!.x0;
    rhos.forEach((rho, k) => {
      const older = this.history[this.history.length - 2 - k]!.x0;
      const c = (factor * rho) / rks[k]!;
      terms.push([c, older], [-c, m0]);
    });
  }

  private coefficients(s0: number, t: number, order: number): Coefficients {
    const lambda = this.vp.lambda;
    const h = lambda[t]! - lambda[s0]!;
    const rks: number[] = [];
    for (let i = 1; i < order; i++) {
      const si = this.history[this.history.length - 1 - i]!.timestep;
      rks.push((lambda[si]! - lambda[s0]!) / h);
    }
    rks.push(1);
    const hh = -h; // data prediction integrates in −h
    const hPhi1 = Math.expm1(hh);
    const bh = Math.expm1(hh);
    const b: number[] = [];
    let hPhiK = hPhi1 / hh - 1;
    let factorial = 1;
    for (let i = 1; i <= order; i++) {
      b.push((hPhiK * factorial) / bh);
      factorial *= i + 1;
      hPhiK = hPhiK / hh - 1 / factorial;
    }
    return { rks, b, hPhi1, bh };
  }
}

/** R[i][k] = rks[k]^i for i < size. */
function powerMatrix(rks: number[], size: number): number[][] {
  return Array.from({ length: size }, (_, i) => rks.slice(0, size).map((r) => r ** i));
}

/** Solves the small dense system A·x = y by Gaussian elimination with partial pivoting. */
function solve(a: number[][], y: number[]): number[] {
  const n = y.length;
  const m = a.map((row, i) => [...row, y[i]!]);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(m[r]![col]!) > Math.abs(m[pivot]![col]!)) pivot = r;
    [m[col], m[pivot]] = [m[pivot]!, m[col]!];
    if (m[col]![col] === 0) throw new Error('UniPC: singular coefficient system');
    for (let r = col + 1; r < n; r++) {
      const f = m[r]![col]! / m[col]![col]!;
      for (let c = col; c <= n; c++) m[r]![c] = m[r]![c]! - f * m[col]![c]!;
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let acc = m[r]![n]!;
    for (let c = r + 1; c < n; c++) acc -= m[r]![c]! * x[c]!;
    x[r] = acc / m[r]![r]!;
  }
  return x;
}
