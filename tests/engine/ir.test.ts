// Graph builder shape rules and the fp16 conversion, checked by hand.
import { describe, expect, it } from 'vitest';
import { Graph } from '../../main/engine/ir/graph';
import { broadcastShapes, resolveReshape } from '../../main/engine/ir/shape';
import { fromHalfBits, toHalfBits } from '../../main/engine/onnx/half';

describe('shape rules', () => {
  it('broadcasts numpy-style and refuses ambiguous symbolic dims', () => {
    expect(broadcastShapes([2, 1, 3], [4, 1])).toEqual([2, 4, 3]);
    expect(broadcastShapes(['batch', 3], [1, 3])).toEqual(['batch', 3]);
    expect(() => broadcastShapes(['batch', 3], [2, 3])).toThrow(/cannot broadcast/);
    expect(() => broadcastShapes([2, 3], [4])).toThrow(/cannot broadcast/);
  });

  it('resolves reshape targets with 0, -1 and symbolic dims', () => {
    expect(resolveReshape([2, 3, 4], [0, -1])).toEqual([2, 12]);
    expect(resolveReshape(['batch', 77, 768], [0, 77, 12, 64])).toEqual(['batch', 77, 12, 64]);
    expect(resolveReshape(['batch', 12, 77, 64], [-1, 77, 64])).toEqual(['12*batch', 77, 64]);
    expect(() => resolveReshape([2, 3], [4, -1])).toThrow(/do not divide/);
    expect(() => resolveReshape([2, 3], [5])).toThrow(/element counts differ/);
  });

  it('infers op shapes and names the op and operands in errors', () => {
    const g = new Graph();
    const x = g.input('x', ['batch', 3, 8, 8]);
    const w = g.param('w', new Float32Array(6 * 3 * 3 * 3), { shape: [6, 3, 3, 3] });
    expect(g.conv(x, w, undefined, { stride: 2, pad: 1 }).shape).toEqual(['batch', 6, 4, 4]);
    expect(g.upsample(x).shape).toEqual(['batch', 3, 16, 16]);
    expect(g.matmul(g.input('a', [5, 2, 3]), g.input('b', [3, 4])).shape).toEqual([5, 2, 4]);
    expect(() => g.matmul(g.input('c', [2, 3]), g.input('d', [2, 3]))).toThrow(
      /MatMul\(f32\[2, 3\], f32\[2, 3\]\): MatMul: inner dims 3 and 2 differ/,
    );
    expect(() => g.param('bad', new Float32Array(5), { shape: [2, 3] })).toThrow(
      /20 bytes do not fit shape \[2, 3\]/,
    );
  });
});

describe('fp16 conversion', () => {
  it('rounds to nearest even and handles subnormals, overflow and NaN', () => {
    expect(toHalfBits(1)).toBe(0x3c00);
    expect(toHalfBits(-2)).toBe(0xc000);
    expect(toHalfBits(65504)).toBe(0x7bff);
    expect(toHalfBits(65520)).toBe(0x7c00); // halfway to the next binade rounds up to infinity
    expect(toHalfBits(1 + 2 ** -11)).toBe(0x3c00); // tie → even mantissa
    expect(toHalfBits(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie → even mantissa (up)
    expect(toHalfBits(2 ** -24)).toBe(0x0001); // smallest subnormal
    expect(toHalfBits(2 ** -26)).toBe(0x0000);
    expect(Number.isNaN(fromHalfBits(toHalfBits(NaN)))).toBe(true);
    // Round to nearest: no other half is closer (an exact property, so no tolerance).
    for (const v of [0.1, -3.14159, 1e-5, 1234.5]) {
      const bits = toHalfBits(v);
      const error = Math.abs(fromHalfBits(bits) - v);
      for (const neighbour of [bits - 1, bits + 1])
        expect(error, `${v}`).toBeLessThanOrEqual(Math.abs(fromHalfBits(neighbour) - v));
    }
  });
});
