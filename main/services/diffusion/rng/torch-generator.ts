/**
 * A seedable generator whose draws equal torch's CPU generator (`torch.Generator().manual_seed(seed)`):
 * `randn` matches `torch.randn(shape, generator=g)` and `rand` matches `torch.rand(shape, generator=g)` for
 * float32, and consecutive calls continue the stream in torch's order (ancestral samplers rely on this).
 */
import { logF32, sinCosF32 } from './avx-mathfun';
import { Mt19937 } from './mt19937';

const TWO_POW_M24 = 2 ** -24;
const TWO_POW_M53 = 2 ** -53;
const TWO_POW_32 = 2 ** 32;
const LOW_21_BITS = 0x1fffff; // the top 21 of the 53 mantissa bits come from the first draw
/** 2π rounded to float32, as torch's vectorised normal_fill uses it. */
const TWO_PI_F32 = Math.fround(2 * Math.PI);
/** torch switches to its vectorised Box–Muller over blocks of 16 from this many contiguous elements. */
const BLOCK = 16;

export type Shape = readonly number[];

function shapeSize(shape: Shape): number {
  let size = 1;
  for (const dim of shape) {
    if (!Number.isInteger(dim) || dim < 0) throw new Error(`invalid tensor shape [${shape.join(', ')}]`);
    size *= dim;
  }
  return size;
}

export class TorchGenerator {
  private readonly engine: Mt19937;
  /** torch caches the second Box–Muller value of its double-precision normal for the next draw. */
  private cachedDoubleNormal: number | undefined;

  /** Seeds like `manual_seed`: only the low 32 bits of the seed reach the Mersenne Twister. */
  constructor(seed: number | bigint) {
    this.engine = new Mt19937(lowUint32(seed));
  }

  /** Float32 uniforms in [0, 1): one 32-bit draw each, 24 bits kept (torch.rand). */
  rand(shape: Shape): Float32Array {
    const out = new Float32Array(shapeSize(shape));
    for (let i = 0; i < out.length; i++) out[i] = this.uniformFloat32();
    return out;
  }

  /** Standard normals (torch.randn) as float32. */
  randn(shape: Shape): Float32Array {
    const out = new Float32Array(shapeSize(shape));
    if (out.length >= BLOCK) this.fillNormalBlocks(out);
    else for (let i = 0; i < out.length; i++) out[i] = this.normalFloat64();
    return out;
  }

  private uniformFloat32(): number {
    return (this.engine.nextUint32() & 0xffffff) * TWO_POW_M24;
  }

  /** torch's `random64`: the first draw supplies the high word. */
  private uniformFloat64(): number {
    const high = this.engine.nextUint32() & LOW_21_BITS;
    const low = this.engine.nextUint32();
    return (high * TWO_POW_32 + low) * TWO_POW_M53;
  }

  /** torch's `normal_fill`: all uniforms first, then Box–Muller per block of 16 in float32 arithmetic. */
  private fillNormalBlocks(out: Float32Array): void {
    for (let i = 0; i < out.length; i++) out[i] = this.uniformFloat32();
    for (let start = 0; start + BLOCK <= out.length; start += BLOCK) boxMullerBlock(out, start);
    if (out.length % BLOCK !== 0) {
      // The tail is covered by redrawing the last full window of 16 and transforming it again.
      const start = out.length - BLOCK;
      for (let i = start; i < out.length; i++) out[i] = this.uniformFloat32();
      boxMullerBlock(out, start);
    }
  }

  /** torch's scalar `normal_distribution<double>` (used below 16 elements), with its cached second value. */
  private normalFloat64(): number {
    if (this.cachedDoubleNormal !== undefined) {
      const cached = this.cachedDoubleNormal;
      this.cachedDoubleNormal = undefined;
      return cached;
    }
    const u1 = this.uniformFloat64();
    const u2 = this.uniformFloat64();
    const radius = Math.sqrt(-2 * Math.log1p(-u2));
    const theta = 2 * Math.PI * u1;
    this.cachedDoubleNormal = radius * Math.sin(theta);
    return radius * Math.cos(theta);
  }
}

/**
 * One block of 16 as torch's AVX2 `normal_fill_16`: pairs (j, j + 8) become (r·cos θ, r·sin θ) with
 * r = √(−2 ln(1 − u_j)), θ = 2π·u_{j+8}, in float32 with avx_mathfun's log and sincos.
 */
function boxMullerBlock(data: Float32Array, start: number): void {
  const f = Math.fround;
  for (let j = start; j < start + BLOCK / 2; j++) {
    const u1 = f(1 - data[j]!);
    const u2 = data[j + BLOCK / 2]!;
    const radius = f(Math.sqrt(f(-2 * logF32(u1))));
    const [sin, cos] = sinCosF32(f(TWO_PI_F32 * u2));
    data[j] = f(radius * cos);
    data[j + BLOCK / 2] = f(radius * sin);
  }
}

function lowUint32(seed: number | bigint): number {
  if (typeof seed === 'bigint') return Number(BigInt.asUintN(32, seed));
  if (!Number.isSafeInteger(seed)) throw new Error(`seed must be a safe integer, got ${seed}`);
  return Number(BigInt.asUintN(32, BigInt(seed)));
}
