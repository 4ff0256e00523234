// A small reverse-mode tape over float64 row-major matrices, for the independent float64 reference of the
// preference-training fixture (float64-clip.ts). Plain loops; it shares nothing with the engine's autodiff.
// Each op computes its value and records how to push its output gradient back to its inputs.

export class Value {
  grad: Float64Array;
  constructor(
    readonly rows: number,
    readonly cols: number,
    readonly data: Float64Array,
  ) {
    if (data.length !== rows * cols) throw new Error(`value of ${data.length} for [${rows}, ${cols}]`);
    this.grad = new Float64Array(data.length);
  }
}

export class Tape {
  private readonly steps: (() => void)[] = [];

  /** A value gradients flow into (a weight, or a constant whose gradient is never read). */
  leaf(rows: number, cols: number, data: ArrayLike<number>): Value {
    return new Value(rows, cols, Float64Array.from(data));
  }

  private record(out: Value, back: () => void): Value {
    this.steps.push(back);
    return out;
  }

  /** Seeds d out / d out = 1 for a scalar and runs every recorded step in reverse. */
  backward(out: Value): void {
    if (out.data.length !== 1) throw new Error('backward needs a scalar');
    out.grad[0] = 1;
    for (let i = this.steps.length - 1; i >= 0; i--) this.steps[i]!();
  }

  /** a [n, k] @ bᵀ with b [m, k] (torch Linear's weight layout) → [n, m]. */
  matmulT(a: Value, b: Value): Value {
    const [n, k, m] = [a.rows, a.cols, b.rows];
    const out = new Value(n, m, new Float64Array(n * m));
    for (let i = 0; i < n; i++)
      for (let j = 0; j < m; j++) {
        let sum = 0;
        for (let t = 0; t < k; t++) sum += a.data[i * k + t]! * b.data[j * k + t]!;
        out.data[i * m + j] = sum;
      }
    return this.record(out, () => {
      for (let i = 0; i < n; i++)
        for (let j = 0; j < m; j++) {
          const g = out.grad[i * m + j]!;
          if (g === 0) continue;
          for (let t = 0; t < k; t++) {
            a.grad[i * k + t] += g * b.data[j * k + t]!;
            b.grad[j * k + t] += g * a.data[i * k + t]!;
          }
        }
    });
  }

  /** a [n, k] @ b [k, m] → [n, m]. */
  matmul(a: Value, b: Value): Value {
    return this.matmulT(a, this.transpose(b));
  }

  transpose(a: Value): Value {
    const out = new Value(a.cols, a.rows, new Float64Array(a.data.length));
    for (let i = 0; i < a.rows; i++)
      for (let j = 0; j < a.cols; j++) out.data[j * a.rows + i] = a.data[i * a.cols + j]!;
    return this.record(out, () => {
      for (let i = 0; i < a.rows; i++)
        for (let j = 0; j < a.cols; j++) a.grad[i * a.cols + j] += out.grad[j * a.rows + i]!;
    });
  }

  /** a + b, where b is a's shape or one row broadcast over a's rows (a bias). */
  add(a: Value, b: Value): Value {
    const broadcast = b.rows === 1 && a.rows !== 1;
    if (b.cols !== a.cols || (!broadcast && b.rows !== a.rows)) throw new Error('add: shapes differ');
    const at = (i: number) => (broadcast ? i % a.cols : i);
    const out = new Value(
      a.rows,
      a.cols,
      a.data.map((v, i) => v + b.data[at(i)]!),
    );
    return this.record(out, () => {
      out.grad.forEach((g, i) => {
        a.grad[i] += g;
        b.grad[at(i)] += g;
      });
    });
  }

  /** a ⊙ b, where b is a's shape, one row broadcast over a's rows, or a scalar. */
  mul(a: Value, b: Value): Value {
    const at =
      b.data.length === 1
        ? () => 0
        : b.rows === 1 && a.rows !== 1
          ? (i: number) => i % a.cols
          : (i: number) => i;
    const out = new Value(
      a.rows,
      a.cols,
      a.data.map((v, i) => v * b.data[at(i)]!),
    );
    return this.record(out, () => {
      out.grad.forEach((g, i) => {
        a.grad[i] += g * b.data[at(i)]!;
        b.grad[at(i)] += g * a.data[i]!;
      });
    });
  }

  /** Element-wise f with derivative f'. */
  map(a: Value, f: (x: number) => number, df: (x: number) => number): Value {
    const out = new Value(a.rows, a.cols, a.data.map(f));
    return this.record(out, () => {
      out.grad.forEach((g, i) => (a.grad[i] += g * df(a.data[i]!)));
    });
  }

  /** Columns [from, to) of every row. */
  columns(a: Value, from: number, to: number): Value {
    const width = to - from;
    const out = new Value(a.rows, width, new Float64Array(a.rows * width));
    for (let i = 0; i < a.rows; i++)
      for (let j = 0; j < width; j++) out.data[i * width + j] = a.data[i * a.cols + from + j]!;
    return this.record(out, () => {
      for (let i = 0; i < a.rows; i++)
        for (let j = 0; j < width; j++) a.grad[i * a.cols + from + j] += out.grad[i * width + j]!;
    });
  }

  /** The values side by side: [n, Σ cols]. */
  concatColumns(parts: Value[]): Value {
    const rows = parts[0]!.rows;
    const cols = parts.reduce((n, p) => n + p.cols, 0);
    const out = new Value(rows, cols, new Float64Array(rows * cols));
    let offset = 0;
    const offsets = parts.map((p) => ((offset += p.cols), offset - p.cols));
    parts.forEach((p, n) => {
      for (let i = 0; i < rows; i++)
        for (let j = 0; j < p.cols; j++) out.data[i * cols + offsets[n]! + j] = p.data[i * p.cols + j]!;
    });
    return this.record(out, () => {
      parts.forEach((p, n) => {
        for (let i = 0; i < rows; i++)
          for (let j = 0; j < p.cols; j++) p.grad[i * p.cols + j] += out.grad[i * cols + offsets[n]! + j]!;
      });
    });
  }

  /** Row `index` as a [1, cols] value. */
  row(a: Value, index: number): Value {
    const out = new Value(1, a.cols, a.data.slice(index * a.cols, (index + 1) * a.cols));
    return this.record(out, () => {
      out.grad.forEach((g, j) => (a.grad[index * a.cols + j] += g));
    });
  }

  /** Rows stacked: [Σ rows, cols]. */
  concatRows(parts: Value[]): Value {
    const cols = parts[0]!.cols;
    const data = new Float64Array(parts.reduce((n, p) => n + p.data.length, 0));
    let offset = 0;
    const offsets = parts.map((p) => {
      data.set(p.data, offset);
      offset += p.data.length;
      return offset - p.data.length;
    });
    const out = new Value(data.length / cols, cols, data);
    return this.record(out, () => {
      parts.forEach((p, n) => p.grad.forEach((_, i) => (p.grad[i] += out.grad[offsets[n]! + i]!)));
    });
  }

  /** Softmax along each row; with `causal`, row i sees columns 0..i only. */
  softmaxRows(a: Value, causal = false): Value {
    const out = new Value(a.rows, a.cols, new Float64Array(a.data.length));
    for (let i = 0; i < a.rows; i++) {
      const last = causal ? i : a.cols - 1;
      let max = -Infinity;
      for (let j = 0; j <= last; j++) max = Math.max(max, a.data[i * a.cols + j]!);
      let total = 0;
      for (let j = 0; j <= last; j++)
        total += out.data[i * a.cols + j] = Math.exp(a.data[i * a.cols + j]! - max);
      for (let j = 0; j <= last; j++) out.data[i * a.cols + j]! /= total;
    }
    return this.record(out, () => {
      for (let i = 0; i < a.rows; i++) {
        let dot = 0;
        for (let j = 0; j < a.cols; j++) dot += out.grad[i * a.cols + j]! * out.data[i * a.cols + j]!;
        for (let j = 0; j < a.cols; j++)
          a.grad[i * a.cols + j] += out.data[i * a.cols + j]! * (out.grad[i * a.cols + j]! - dot);
      }
    });
  }

  /** (x − mean) / √(var + eps) along each row (LayerNorm without its affine part). */
  standardizeRows(a: Value, eps: number): Value {
    const n = a.cols;
    const out = new Value(a.rows, n, new Float64Array(a.data.length));
    const inverse = new Float64Array(a.rows);
    for (let i = 0; i < a.rows; i++) {
      const row = a.data.subarray(i * n, (i + 1) * n);
      const mean = row.reduce((s, v) => s + v, 0) / n;
      const variance = row.reduce((s, v) => s + (v - mean) ** 2, 0) / n;
      inverse[i] = 1 / Math.sqrt(variance + eps);
      for (let j = 0; j < n; j++) out.data[i * n + j] = (row[j]! - mean) * inverse[i]!;
    }
    return this.record(out, () => {
      for (let i = 0; i < a.rows; i++) {
        let meanGrad = 0;
        let meanGradX = 0;
        for (let j = 0; j < n; j++) {
          meanGrad += out.grad[i * n + j]! / n;
          meanGradX += (out.grad[i * n + j]! * out.data[i * n + j]!) / n;
        }
        for (let j = 0; j < n; j++)
          a.grad[i * n + j] +=
            inverse[i]! * (out.grad[i * n + j]! - meanGrad - out.data[i * n + j]! * meanGradX);
      }
    });
  }

  /** Σ of every entry: [1, 1]. */
  sum(a: Value): Value {
    const out = new Value(1, 1, Float64Array.of(a.data.reduce((s, v) => s + v, 0)));
    return this.record(out, () => a.grad.forEach((_, i) => (a.grad[i] += out.grad[0]!)));
  }

  /** Each row divided by its L2 norm. */
  normalizeRows(a: Value): Value {
    const n = a.cols;
    const norms = Array.from({ length: a.rows }, (_, i) =>
      Math.hypot(...a.data.subarray(i * n, (i + 1) * n)),
    );
    const out = new Value(
      a.rows,
      n,
      a.data.map((v, k) => v / norms[Math.floor(k / n)]!),
    );
    return this.record(out, () => {
      for (let i = 0; i < a.rows; i++) {
        let dot = 0;
        for (let j = 0; j < n; j++) dot += out.grad[i * n + j]! * out.data[i * n + j]!;
        for (let j = 0; j < n; j++)
          a.grad[i * n + j] += (out.grad[i * n + j]! - dot * out.data[i * n + j]!) / norms[i]!;
      }
    });
  }
}
