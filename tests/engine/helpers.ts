// Test helpers: run lowered graphs on onnxruntime-node, and finite-difference gradient checks.
import { mkdir } from 'node:fs/promises';
import * as ort from 'onnxruntime-node';
import { addTrainingOutputs } from '../../main/engine/autodiff';
import { type Graph, Graph as GraphClass, type Tensor } from '../../main/engine/ir/graph';
import type { DType } from '../../main/engine/ir/shape';
import { lower } from '../../main/engine/onnx/lower';
import type { Precision } from '../../main/engine/ops/types';
import {
  type NodePlacement,
  PROFILE_DIR,
  newProfilePrefix,
  takeProfile,
} from '../../main/engine/runtime/profile';

export type Ep = 'cpu' | 'webgpu';

export interface HostTensor {
  data: Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array;
  dims: readonly number[];
}

/** Seeded uniform [0, 1) generator (mulberry32), so failures reproduce. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randn(next: () => number, count: number, scale = 1): number[] {
  return Array.from(
    { length: count },
    () => scale * Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next()),
  );
}

function toOrt(t: HostTensor): ort.Tensor {
  const type =
    t.data instanceof Float64Array
      ? 'float64'
      : t.data instanceof Float32Array
        ? 'float32'
        : t.data instanceof Int32Array
          ? 'int32'
          : t.data instanceof BigInt64Array
            ? 'int64'
            : 'bool';
  return new ort.Tensor(type, t.data, t.dims);
}

export interface CompiledGraph {
  run(feeds: Record<string, HostTensor>): Promise<Record<string, HostTensor>>;
  /** Which EP ran each node (sessions compiled with `profile`); ends profiling. */
  placements(): Promise<NodePlacement[]>;
  release(): Promise<void>;
}

export async function compile(
  g: Graph,
  options: {
    ep?: Ep;
    precision?: Precision;
    outputs?: string[];
    profile?: boolean;
    fusedAttention?: boolean;
    /** false: no ORT graph rewrites (fusions can swap in kernels that lack float64). */
    optimize?: boolean;
  } = {},
): Promise<CompiledGraph> {
  const ep = options.ep ?? 'cpu';
  const artifact = lower(g, {
    ep,
    precision: options.precision ?? 'fp32',
    outputs: options.outputs,
    fusedAttention: options.fusedAttention,
  });
  if (artifact.source.kind !== 'bytes') throw new Error('expected an in-memory model');
  const prefix = options.profile ? newProfilePrefix() : undefined;
  if (prefix) await mkdir(PROFILE_DIR, { recursive: true });
  const session = await ort.InferenceSession.create(artifact.source.bytes, {
    executionProviders: [ep],
    ...(options.optimize === false ? { graphOptimizationLevel: 'disabled' as const } : {}),
    ...(prefix ? { enableProfiling: true, profileFilePrefix: prefix } : {}),
  });
  return {
    async run(feeds) {
      const input: Record<string, ort.Tensor> = {};
      for (const [k, v] of Object.entries(feeds)) input[k] = toOrt(v);
      const result = await session.run(input);
      const out: Record<string, HostTensor> = {};
      for (const [k, v] of Object.entries(result))
        out[k] = { data: v.data as HostTensor['data'], dims: v.dims };
      return out;
    },
    async placements() {
      if (!prefix) throw new Error('compiled without profile: true');
      session.endProfiling();
      return takeProfile(prefix);
    },
    release: () => session.release(),
  };
}

export async function runGraph(
  g: Graph,
  feeds: Record<string, HostTensor>,
  options: { ep?: Ep; precision?: Precision; fusedAttention?: boolean } = {},
): Promise<Record<string, HostTensor>> {
  const c = await compile(g, options);
  try {
    return await c.run(feeds);
  } finally {
    await c.release();
  }
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

export interface InputSpec {
  name: string;
  shape: number[];
  dtype?: DType;
  /** Values (default: seeded normals); integer inputs must give them. */
  values?: number[];
  /** Differentiate with respect to this input (default: float inputs). */
  trainable?: boolean;
}

export interface GradCheckResult {
  precision: 'fp64' | 'fp32';
  /** max |fd − analytic| / max |analytic| per trainable input. */
  errors: Record<string, number>;
  maxError: number;
}

function hostOf(spec: InputSpec, values: number[], precision: Precision): HostTensor {
  const dtype = spec.dtype ?? 'f32';
  if (dtype === 'i32') return { data: Int32Array.from(values), dims: spec.shape };
  if (dtype === 'i64') return { data: BigInt64Array.from(values, (v) => BigInt(v)), dims: spec.shape };
  if (dtype === 'bool') return { data: Uint8Array.from(values), dims: spec.shape };
  return {
    data: precision === 'fp64' ? Float64Array.from(values) : Float32Array.from(values),
    dims: spec.shape,
  };
}

function isMissingKernel(err: unknown): boolean {
  return /NOT_IMPLEMENTED|Could not find an implementation|not supported|type.*double/i.test(String(err));
}

/**
 * Checks the gradient rules behind `build` against central finite differences of
 * loss = Σ out ⊙ R (R a fixed random projection, so one difference per input element suffices).
 * Runs in float64 on the CPU EP when ORT has double kernels for every op, else float32. `step`
 * overrides the difference step (for ops that quantise, where it must move values by whole steps).
 */
type Build = (g: Graph, inputs: Record<string, Tensor>) => Tensor;

/** The checked graph: outputs `out`, loss = Σ out ⊙ R and `grad/<name>` for each float input. */
function projectedLossGraph(specs: InputSpec[], build: Build) {
  const next = rng(1);
  const values = specs.map(
    (s) =>
      s.values ??
      randn(
        next,
        s.shape.reduce((a, b) => a * b, 1),
      ),
  );
  const g = new GraphClass('gradcheck');
  const inputs: Record<string, Tensor> = {};
  const trainable = specs.filter((s) => s.trainable ?? (s.dtype ?? 'f32') === 'f32');
  for (const s of specs)
    inputs[s.name] = g.input(s.name, s.shape, { dtype: s.dtype ?? 'f32', trainable: trainable.includes(s) });
  const out = build(g, inputs);
  const outShape = out.shape as number[];
  const r = randn(
    next,
    outShape.reduce((a, b) => a * b, 1),
  );
  g.output('out', out);
  addTrainingOutputs(g, g.sumAll(g.mul(out, g.constant(r, outShape))));
  return { g, values, trainable, r };
}

export async function gradCheck(specs: InputSpec[], build: Build, step?: number): Promise<GradCheckResult> {
  const { g, values, trainable, r } = projectedLossGraph(specs, build);
  for (const precision of ['fp64', 'fp32'] as const) {
    const feeds = (vals: number[][]) =>
      Object.fromEntries(specs.map((s, i) => [s.name, hostOf(s, vals[i]!, precision)]));
    let full: CompiledGraph | undefined;
    let forward: CompiledGraph | undefined;
    let analytic: Record<string, HostTensor>;
    try {
      full = await compile(g, { precision, optimize: false });
      forward = await compile(g, { precision, outputs: ['out'], optimize: false });
      analytic = await full.run(feeds(values));
    } catch (err) {
      await full?.release();
      await forward?.release();
      if (precision === 'fp64' && isMissingKernel(err)) continue;
      throw err;
    }
    try {
      const lossAt = async (vals: number[][]) => {
        const o = (await forward!.run(feeds(vals))).out!.data as Float64Array;
        let sum = 0;
        for (let i = 0; i < o.length; i++) sum += o[i]! * r[i]!;
        return sum;
      };
      const h = step ?? (precision === 'fp64' ? 1e-6 : 1e-2);
      const errors: Record<string, number> = {};
      for (const s of trainable) {
        const k = specs.indexOf(s);
        const an = analytic[`grad/${s.name}`]!.data as Float64Array;
        const fd = new Float64Array(an.length);
        for (let i = 0; i < an.length; i++) {
          const plus = values.map((v) => [...v]);
          const minus = values.map((v) => [...v]);
          plus[k]![i]! += h;
          minus[k]![i]! -= h;
          fd[i] = ((await lossAt(plus)) - (await lossAt(minus))) / (2 * h);
        }
        const scale = Math.max(...Array.from(an, Math.abs), 1e-6);
        errors[s.name] = maxAbsDiff(fd, an) / scale;
      }
      return { precision, errors, maxError: Math.max(...Object.values(errors)) };
    } finally {
      await full.release();
      await forward!.release();
    }
  }
  throw new Error('unreachable: fp32 either runs or throws');
}

/**
 * Runs the same gradient graph in float32 on cpu and on `ep`; returns the largest gradient difference
 * relative to the gradient's scale, and which EP ran each node there.
 */
export async function compareGradients(
  specs: InputSpec[],
  build: Build,
  ep: Ep,
): Promise<{ maxError: number; placements: NodePlacement[] }> {
  const { g, values, trainable } = projectedLossGraph(specs, build);
  const feeds = Object.fromEntries(specs.map((s, i) => [s.name, hostOf(s, values[i]!, 'fp32')]));
  const reference = await runGraph(g, feeds, { ep: 'cpu' });
  const other = await compile(g, { ep, profile: true });
  try {
    const got = await other.run(feeds);
    let maxError = 0;
    for (const s of trainable) {
      const a = reference[`grad/${s.name}`]!.data as Float32Array;
      const scale = Math.max(...Array.from(a, Math.abs), 1e-6);
      maxError = Math.max(maxError, maxAbsDiff(got[`grad/${s.name}`]!.data as Float32Array, a) / scale);
    }
    return { maxError, placements: await other.placements() };
  } finally {
    await other.release();
  }
}
