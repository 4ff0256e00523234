/**
 * float32 log and sincos as torch's AVX2 normal sampler computes them: avx_mathfun.h (Cephes polynomials,
 * by Julien Pommier), compiled by GCC with FMA contraction (-mfma, -ffp-contract=fast): a multiply whose
 * only use is an add/subtract becomes one fused operation, taken in statement order. Every step is rounded
 * to float32 the same way, which reproduces torch.randn bit for bit on the fixtures. (A fused operation is
 * emulated as one double operation rounded to float32; double rounding could in principle differ by 1 ulp.)
 */
const f = Math.fround;
/** Fused multiply-add rounded once: a·b is exact in double for float32 inputs. */
const fma = (a: number, b: number, c: number): number => f(a * b + c);

const SQRTHF = f(Math.SQRT1_2);
const LOG_P = [
  7.0376836292e-2, -1.151461031e-1, 1.167699874e-1, -1.2420140846e-1, 1.4249322787e-1, -1.6668057665e-1,
  2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1,
].map(f);
const LOG_Q1 = f(-2.1219444e-4);
const LOG_Q2 = f(0.693359375);

const FOPI = f(1.27323954473516); // 4/π
const DP1 = f(-0.78515625);
const DP2 = f(-2.4187564849853515625e-4);
const DP3 = f(-3.774894977445941e-8);
const SIN_P = [-1.9515295891e-4, 8.3321608736e-3, -1.6666654611e-1].map(f);
const COS_P = [2.443315711809948e-5, -1.388731625493765e-3, 4.166664568298827e-2].map(f);

const bits = new DataView(new ArrayBuffer(4));
function floatBits(x: number): number {
  bits.setFloat32(0, x);
  return bits.getUint32(0);
}
function bitsFloat(b: number): number {
  bits.setUint32(0, b >>> 0);
  return bits.getFloat32(0);
}

/** log256_ps for positive normal float32 inputs (the sampler only passes (0, 1]). */
export function logF32(input: number): number {
  const xBits = floatBits(Math.max(input, 1.1754943508222875e-38));
  let e = f(((xBits >>> 23) & 0xff) - 0x7f + 1);
  // Mantissa scaled into [0.5, 1).
  let x = bitsFloat((xBits & ~0x7f800000) | 0x3f000000);
  if (x < SQRTHF) {
    e = f(e - 1);
    x = f(f(x - 1) + x);
  } else {
    x = f(x - 1);
  }
  const z = f(x * x);
  let y = LOG_P[0]!;
  for (let i = 1; i < LOG_P.length; i++) y = fma(y, x, LOG_P[i]!);
  // y·x feeds a multiply (not fused); (y·x)·z feeds the add of e·q1, so that multiply is the fused one.
  y = fma(f(y * x), z, f(e * LOG_Q1));
  y = f(y - f(z * 0.5));
  return fma(e, LOG_Q2, f(x + y));
}

/** sincos256_ps: [sin θ, cos θ] for float32 θ. */
export function sinCosF32(theta: number): [number, number] {
  let x = Math.abs(theta);
  const signSin = theta < 0 ? -1 : 1;
  let j = Math.trunc(f(x * FOPI));
  j = (j + 1) & ~1;
  const y0 = f(j);
  const swapSin = (j & 4) !== 0;
  // Octants 2, 3 (mod 4) swap the two polynomials.
  const swapPolynomials = (j & 2) !== 0;
  x = fma(y0, DP1, x);
  x = fma(y0, DP2, x);
  x = fma(y0, DP3, x);
  const signCos = ((j - 2) & 4) === 0 ? -1 : 1;
  const z = f(x * x);

  let c = fma(COS_P[0]!, z, COS_P[1]!);
  c = fma(c, z, COS_P[2]!);
  c = f(c * z);
  // The second ·z is fused with the following subtraction of z/2.
  c = fma(c, z, -f(z * 0.5));
  c = f(c + 1);

  let s = fma(SIN_P[0]!, z, SIN_P[1]!);
  s = fma(s, z, SIN_P[2]!);
  s = f(s * z);
  s = fma(s, x, x);

  const sinValue = swapPolynomials ? c : s;
  const cosValue = swapPolynomials ? s : c;
  return [sinValue * signSin * (swapSin ? -1 : 1), cosValue * signCos];
}
