// Tensor element types and shapes, with the broadcasting and reshape rules the op table relies on.

/** Element types. 'f32' is the logical compute float: the precision policy decides what it lowers to. */
export type DType = 'f32' | 'f16' | 'i32' | 'i64' | 'bool';

/** A dimension is a fixed size or a symbolic name such as 'batch' (graph inputs only, propagated by ops). */
export type Dim = number | string;
export type Shape = readonly Dim[];

export const isFloat = (d: DType): boolean => d === 'f32' || d === 'f16';

export const isStatic = (s: Shape): s is readonly number[] => s.every((d) => typeof d === 'number');

export function formatShape(s: Shape): string {
  return `[${s.join(', ')}]`;
}

export function staticSize(s: Shape, what = 'shape'): number {
  if (!isStatic(s)) throw new Error(`${what} ${formatShape(s)} must be static here`);
  return s.reduce((a, b) => a * b, 1);
}

/** Resolves a negative axis against a rank, with a clear error when out of range. */
export function normAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank)
    throw new Error(`axis ${axis} out of range for rank ${rank}`);
  return a;
}

/** Numpy broadcasting. Symbolic dims broadcast only against 1 or the same name: anything else is ambiguous. */
export function broadcastShapes(a: Shape, b: Shape): Dim[] {
  const rank = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[i - (rank - a.length)] ?? 1;
    const db = b[i - (rank - b.length)] ?? 1;
    if (da === db || db === 1) out.push(da);
    else if (da === 1) out.push(db);
    else throw new Error(`cannot broadcast ${formatShape(a)} with ${formatShape(b)}`);
  }
  return out;
}

/** Which axes of `out` were broadcast from `input`: leading ones (dropped) and size-1 ones (kept). */
export function broadcastAxes(input: Shape, out: Shape): { leading: number[]; kept: number[] } {
  const lead = out.length - input.length;
  const leading = Array.from({ length: lead }, (_, i) => i);
  const kept: number[] = [];
  input.forEach((d, i) => {
    if (d === 1 && out[i + lead] !== 1) kept.push(i);
  });
  return { leading, kept };
}

/** A product of dims as coefficient × symbol multiset, so reshape can resolve -1 with symbolic dims. */
interface Product {
  coef: number;
  symbols: string[];
}

function productOf(dims: Shape): Product {
  const p: Product = { coef: 1, symbols: [] };
  for (const d of dims) {
    if (typeof d === 'number') p.coef *= d;
    else p.symbols.push(...d.split('*'));
  }
  return p;
}

function divide(total: Product, known: Product, what: string): Dim {
  const symbols = [...total.symbols];
  for (const s of known.symbols) {
    const i = symbols.indexOf(s);
    if (i < 0) throw new Error(`${what}: cannot divide out symbolic dim '${s}'`);
    symbols.splice(i, 1);
  }
  const coef = total.coef / known.coef;
  if (!Number.isInteger(coef))
    throw new Error(`${what}: ${total.coef} elements do not divide by ${known.coef}`);
  if (symbols.length === 0) return coef;
  return coef === 1 ? symbols.sort().join('*') : [String(coef), ...symbols.sort()].join('*');
}

/** ONNX Reshape semantics (0 copies the input dim, one -1 is inferred). */
export function resolveReshape(input: Shape, target: readonly number[]): Dim[] {
  const what = `reshape ${formatShape(input)} → ${formatShape(target)}`;
  if (target.filter((d) => d === -1).length > 1) throw new Error(`${what}: more than one -1`);
  const out: Dim[] = target.map((d, i) => {
    if (d === 0) {
      if (i >= input.length) throw new Error(`${what}: 0 at axis ${i} has no input dim to copy`);
      return input[i]!;
    }
    if (d < -1 || !Number.isInteger(d)) throw new Error(`${what}: invalid dim ${d}`);
    return d;
  });
  const hole = out.indexOf(-1);
  const total = productOf(input);
  if (hole >= 0) {
    out[hole] = divide(total, productOf(out.filter((_, i) => i !== hole)), what);
  } else if (isStatic(input) && isStatic(out) && staticSize(input) !== staticSize(out)) {
    throw new Error(`${what}: element counts differ`);
  }
  return out;
}
