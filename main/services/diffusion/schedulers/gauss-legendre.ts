/**
 * Gauss–Legendre quadrature. With n nodes it integrates polynomials of degree ≤ 2n − 1 exactly, which is
 * what LMS needs (its integrands are Lagrange basis polynomials of degree ≤ 3); the nodes are found by
 * Newton's method on P_n, to double precision.
 */
interface Rule {
  nodes: number[];
  weights: number[];
}

/** Recomputed per call rather than cached: a few hundred flops, and no module state. */
function legendreRule(n: number): Rule {
  const nodes: number[] = [];
  const weights: number[] = [];
  for (let i = 1; i <= n; i++) {
    let x = Math.cos((Math.PI * (i - 0.25)) / (n + 0.5));
    let derivative = 0;
    for (let iteration = 0; iteration < 100; iteration++) {
      // P_n(x) and P_n'(x) by the three-term recurrence.
      let p0 = 1;
      let p1 = x;
      for (let k = 2; k <= n; k++) [p0, p1] = [p1, ((2 * k - 1) * x * p1 - (k - 1) * p0) / k];
      derivative = (n * (x * p1 - p0)) / (x * x - 1);
      const dx = p1 / derivative;
      x -= dx;
      if (Math.abs(dx) < 1e-16) break;
    }
    nodes.push(x);
    weights.push(2 / ((1 - x * x) * derivative * derivative));
  }
  return { nodes, weights };
}

/** ∫_a^b f(x) dx with an n-point Gauss–Legendre rule (default 8: exact up to degree 15). */
export function integrate(f: (x: number) => number, a: number, b: number, n = 8): number {
  const { nodes, weights } = legendreRule(n);
  const half = (b - a) / 2;
  const mid = (a + b) / 2;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += weights[i]! * f(mid + half * nodes[i]!);
  return sum * half;
}
