import { describe, expect, it } from 'vitest';
import {
  bf16ToF32,
  f16ToF32,
  f32ToF16,
  halfBitsToNumber,
  numberToHalfBits,
  toFloat32,
  viewAs,
} from '../../main/checkpoints';

describe('half and bfloat16 conversions', () => {
  it('decodes hand-picked half values', () => {
    const bits = Uint16Array.from([0x3c00, 0xc000, 0x7bff, 0x0001, 0x0400, 0x7c00, 0xfc00, 0x8000, 0x3555]);
    expect([...f16ToF32(bits)]).toEqual([
      1,
      -2,
      65504,
      2 ** -24,
      2 ** -14,
      Infinity,
      -Infinity,
      -0,
      0.333251953125,
    ]);
    expect(halfBitsToNumber(0x7e00)).toBeNaN();
  });

  it('decodes bfloat16 as the top half of a float32', () => {
    expect([...bf16ToF32(Uint16Array.from([0x3f80, 0xc000, 0x7f80, 0x3e80, 0x0000]))]).toEqual([
      1,
      -2,
      Infinity,
      0.25,
      0,
    ]);
  });

  it('rounds float32 to half to nearest, ties to even', () => {
    const cases: [number, number][] = [
      [1, 0x3c00],
      [-2, 0xc000],
      [65504, 0x7bff],
      [65519.99, 0x7bff], // below the rounding midpoint to infinity
      [65520, 0x7c00], // the midpoint rounds (to even) into infinity
      [1e9, 0x7c00],
      [1 + 2 ** -11, 0x3c00], // tie between 0x3c00 and 0x3c01 → even
      [1 + 3 * 2 ** -11, 0x3c02], // tie between 0x3c01 and 0x3c02 → even
      [1 + 2 ** -11 + 2 ** -20, 0x3c01], // just above the tie
      [2 ** -24, 0x0001], // smallest subnormal
      [2 ** -25, 0x0000], // exactly half of it → even (zero)
      [2 ** -25 * 1.5, 0x0001],
      [3 * 2 ** -25, 0x0002], // tie between subnormals 1 and 2 → even
      [2 ** -14 - 2 ** -25, 0x0400], // rounds up from the largest subnormal into the smallest normal
      [-0, 0x8000],
      [Infinity, 0x7c00],
      [-Infinity, 0xfc00],
      [1e-30, 0x0000],
    ];
    for (const [value, bits] of cases) expect(numberToHalfBits(value), `${value}`).toBe(bits);
    // The array path must round exactly like the scalar one.
    expect([...f32ToF16(Float32Array.from(cases.map(([value]) => value)))]).toEqual(
      cases.map(([, bits]) => bits),
    );
    expect(numberToHalfBits(NaN) & 0x7e00).toBe(0x7e00);
  });

  it('round-trips every half bit pattern through float32', () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    const back = f32ToF16(f16ToF32(all));
    for (let i = 0; i < 65536; i++) {
      const isNaN = (i & 0x7c00) === 0x7c00 && (i & 0x03ff) !== 0;
      if (isNaN) expect(back[i]! & 0x7c00, `0x${i.toString(16)}`).toBe(0x7c00);
      else if (back[i] !== i) expect.fail(`0x${i.toString(16)} came back as 0x${back[i]!.toString(16)}`);
    }
  });

  it('converts F64 bytes and refuses integer dtypes', () => {
    const bytes = new Uint8Array(Float64Array.from([0.5, -3]).buffer);
    expect([...toFloat32('F64', bytes)]).toEqual([0.5, -3]);
    expect(() => toFloat32('I32', new Uint8Array(4))).toThrow(/I32/);
  });

  it('copies misaligned bytes before viewing them', () => {
    const backing = new Uint8Array(9);
    backing.set(new Uint8Array(Float64Array.from([7.25]).buffer), 1);
    expect([...viewAs('F64', backing.subarray(1))]).toEqual([7.25]);
    expect(() => viewAs('F32', new Uint8Array(6))).toThrow(/whole number/);
  });
});
