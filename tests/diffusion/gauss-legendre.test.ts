import { describe, expect, it } from 'vitest';
import { integrate } from '../../main/services/diffusion/schedulers/gauss-legendre';
import { expectWithin } from '../parity';

describe('Gauss–Legendre quadrature (LMS coefficients)', () => {
  it('integrates polynomials up to degree 15 exactly (8 nodes)', () => {
    let worst = 0;
    for (let degree = 0; degree <= 15; degree++) {
      // ∫_{-0.3}^{2.1} x^d dx = (2.1^{d+1} − (−0.3)^{d+1}) / (d + 1)
      const exact = (2.1 ** (degree + 1) - (-0.3) ** (degree + 1)) / (degree + 1);
      const ours = integrate((x) => x ** degree, -0.3, 2.1);
      worst = Math.max(worst, Math.abs(ours - exact) / Math.max(1, Math.abs(exact)));
    }
    expectWithin('degree ≤ 15 polynomials, worst |Δ| / max(1, |exact|)', worst, 1e-12);
  });

  it('handles reversed intervals (LMS integrates from σ_i down to σ_{i+1})', () => {
    const ours = integrate((x) => 3 * x * x - 2 * x + 1, 14.6, 0.03);
    const antiderivative = (x: number) => x ** 3 - x * x + x;
    expect(ours).toBeCloseTo(antiderivative(0.03) - antiderivative(14.6), 10);
  });

  it('is accurate to ~1e-10 on a smooth non-polynomial integrand with more nodes', () => {
    expectWithin('∫₀^π sin with 16 nodes', Math.abs(integrate(Math.sin, 0, Math.PI, 16) - 2), 1e-10);
  });
});
