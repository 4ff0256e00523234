// Engine bench: ORT session build and run times of a large synthetic graph on cpu and webgpu, first start
// versus cached starts (persisted model, ORT's optimized graph), the worker host, and the memory peak of
// writing and loading a > 2 GB external-data model.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { ModelArtifact } from '../../main/engine/onnx/artifact';
import { writeExternalDataModel } from '../../main/engine/onnx/external-data';
import { encodeModel } from '../../main/engine/onnx/proto';
import {
  RuntimeWorker,
  SessionCache,
  tinyAddModel,
  type EngineSession,
  type ExecutionProvider,
  type SessionRequest,
  type TensorMap,
} from '../../main/engine/runtime';
import { MiB, timed, type BenchContext, type BenchSuite, type BenchTable } from '../harness';
import { gatherProbe, mlpStack, pseudoRandom, type StackShape } from './models';

export const suite: BenchSuite = {
  name: 'engine',
  description: 'ORT session build/run of a synthetic MLP stack, session caches, worker, > 2 GB external data',
  run: async (ctx) => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'hps-bench-engine-'));
    try {
      return [await stackTable(ctx, dir), await externalDataTable(ctx, dir)];
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
};

type Row = (string | number)[];

async function stackTable(ctx: BenchContext, dir: string): Promise<BenchTable> {
  const shape: StackShape = ctx.quick
    ? { layers: 4, width: 256, batch: 8 }
    : { layers: 24, width: 1024, batch: 8 };
  ctx.log(`building a ${shape.layers}-layer MLP stack, width ${shape.width}`);
  const built = await timed(() => {
    const bytes = encodeModel(mlpStack(shape)).toBytes();
    const hash = createHash('sha256').update(bytes).digest('hex').slice(0, 32);
    return { hash, source: { kind: 'bytes', bytes }, inputs: [], outputs: [] } satisfies ModelArtifact;
  });
  const artifact = built.value;
  const weightsMiB = (shape.layers * 4 * shape.width * shape.width * 4) / MiB;
  const feeds: TensorMap = {
    x: {
      dtype: 'float32',
      data: pseudoRandom(shape.batch * shape.width, 7, 1),
      dims: [shape.batch, shape.width],
    },
  };
  const cacheDir = path.join(dir, 'cache');
  const rows: Row[] = [['build graph + encode (JS)', '-', built.ms, '', '']];
  await warmUp(ctx, rows);
  const reference = await measure(
    ctx,
    rows,
    'cpu',
    'start from bytes, no disk cache',
    new SessionCache(),
    { hash: artifact.hash, ep: 'cpu' },
    artifact,
    feeds,
  );
  await measure(
    ctx,
    rows,
    'cpu',
    'first start (bytes, persisted to disk)',
    new SessionCache({ cacheDir }),
    { hash: artifact.hash, ep: 'cpu' },
    artifact,
    feeds,
    reference,
  );
  await measure(
    ctx,
    rows,
    'cpu',
    'cached start (model file)',
    new SessionCache({ cacheDir }),
    { hash: artifact.hash, ep: 'cpu' },
    noBuild,
    feeds,
    reference,
  );
  const optimized: SessionRequest = { hash: artifact.hash, ep: 'cpu', optimizedModelCache: true };
  await measure(
    ctx,
    rows,
    'cpu',
    'start writing optimized graph',
    new SessionCache({ cacheDir }),
    optimized,
    noBuild,
    feeds,
    reference,
  );
  await measure(
    ctx,
    rows,
    'cpu',
    'start from optimized graph',
    new SessionCache({ cacheDir }),
    optimized,
    noBuild,
    feeds,
    reference,
  );
  await measure(
    ctx,
    rows,
    'webgpu',
    'cached start (model file)',
    new SessionCache({ cacheDir }),
    { hash: artifact.hash, ep: 'webgpu', fallback: [] },
    noBuild,
    feeds,
    reference,
  );
  const gpuOptimized: SessionRequest = {
    hash: artifact.hash,
    ep: 'webgpu',
    fallback: [],
    optimizedModelCache: true,
  };
  await measure(
    ctx,
    rows,
    'webgpu',
    'start writing optimized graph',
    new SessionCache({ cacheDir }),
    gpuOptimized,
    noBuild,
    feeds,
    reference,
  );
  await measure(
    ctx,
    rows,
    'webgpu',
    'start from optimized graph',
    new SessionCache({ cacheDir }),
    gpuOptimized,
    noBuild,
    feeds,
    reference,
  );
  await measureWorker(ctx, rows, cacheDir, artifact.hash, feeds, reference);
  return {
    title: `ORT sessions: ${shape.layers}-layer MLP stack, width ${shape.width}, batch ${shape.batch}, ${weightsMiB.toFixed(0)} MiB f32 weights`,
    columns: ['phase', 'ep', 'create ms', 'first run ms', 'steady run ms (median of 3)'],
    rows,
    notes: [
      'ORT and the WebGPU device are initialised first (the "first session in the process" rows), so later rows time the model alone.',
      `first start = build + encode + create; cached start skips build and encode (${built.ms.toFixed(0)} ms here).`,
      'each start uses a fresh SessionCache over the same cache folder; outputs are checked against the first cpu run (max |Δ| ≤ 1e-3).',
      `${os.cpus().length} CPU cores (${os.cpus()[0]?.model ?? 'unknown'}); webgpu runs on whatever adapter Dawn finds (lavapipe = CPU).`,
    ],
  };
}

const tinyBytes = tinyAddModel();
const tiny: ModelArtifact = {
  hash: 'bench-tiny-add',
  source: { kind: 'bytes', bytes: tinyBytes },
  inputs: [],
  outputs: [],
};

/** ORT's environment and the WebGPU device are set up once per process: pay that before measuring. */
async function warmUp(ctx: BenchContext, rows: Row[]): Promise<void> {
  for (const ep of ['cpu', 'webgpu'] as const) {
    ctx.log(`${ep}: warm-up`);
    const cache = new SessionCache();
    const created = await timed(() =>
      cache.get({ hash: tiny.hash, ep, fallback: [], profilePlacement: false }, tiny),
    );
    await cache.clear();
    rows.push(['first session in the process (tiny graph)', ep, created.ms, '', '']);
  }
}

const noBuild = (): never => {
  throw new Error('the artifact should come from the disk cache');
};

async function measure(
  ctx: BenchContext,
  rows: Row[],
  ep: ExecutionProvider,
  phase: string,
  cache: SessionCache,
  request: SessionRequest,
  artifact: ModelArtifact | (() => never),
  feeds: TensorMap,
  reference?: Float32Array,
): Promise<Float32Array> {
  ctx.log(`${ep}: ${phase}`);
  try {
    const created = await timed(() => cache.get(request, artifact));
    const session: EngineSession = created.value;
    const first = await timed(() => session.run(feeds));
    const steady: number[] = [];
    for (let i = 0; i < 3; i++) steady.push((await timed(() => session.run(feeds))).ms);
    const y = first.value.y!.data as Float32Array;
    if (reference) checkClose(y, reference, `${ep} ${phase}`);
    const report = session.report();
    const fallback = report.fallbackNodes.length > 0 ? ` (${report.fallbackNodes.length} nodes on cpu)` : '';
    rows.push([
      `${phase}${report.optimizedModel === 'rejected' ? ' [optimized graph rejected]' : ''}`,
      `${report.ep}${fallback}`,
      created.ms,
      first.ms,
      median(steady),
    ]);
    await session.release();
    return y;
  } finally {
    await cache.clear();
  }
}

async function measureWorker(
  ctx: BenchContext,
  rows: Row[],
  cacheDir: string,
  hash: string,
  feeds: TensorMap,
  reference: Float32Array,
): Promise<void> {
  ctx.log('cpu: worker thread');
  const worker = new RuntimeWorker({ cacheDir });
  try {
    const started = await timed(async () =>
      (await worker.open({ hash: tiny.hash, ep: 'cpu', profilePlacement: false }, tiny)).release(),
    );
    rows.push(['worker thread start (thread, tsx, ORT init)', 'cpu', started.ms, '', '']);
    const opened = await timed(() => worker.open({ hash, ep: 'cpu' }, noBuild));
    const first = await timed(() => opened.value.run(feeds));
    const steady: number[] = [];
    for (let i = 0; i < 3; i++) steady.push((await timed(() => opened.value.run(feeds))).ms);
    checkClose(first.value.y!.data as Float32Array, reference, 'worker');
    rows.push(['worker thread, cached start', 'cpu', opened.ms, first.ms, median(steady)]);
  } finally {
    await worker.close();
  }
}

async function externalDataTable(ctx: BenchContext, dir: string): Promise<BenchTable> {
  const count = ctx.quick ? 16 * MiB : 275_000_000; // 2 × 1.1 GB of float32 in the full run
  const chunk = 1 << 22;
  let peakRss = 0;
  const generate = (f: (i: number) => number) =>
    async function* () {
      const buffer = new Float32Array(chunk);
      for (let start = 0; start < count; start += chunk) {
        const n = Math.min(chunk, count - start);
        for (let j = 0; j < n; j++) buffer[j] = f(start + j);
        peakRss = Math.max(peakRss, process.memoryUsage().rss);
        yield new Uint8Array(buffer.buffer, 0, n * 4);
      }
    };
  ctx.log(`writing 2 × ${((count * 4) / 2 ** 30).toFixed(2)} GiB of external data`);
  const rssBefore = process.memoryUsage().rss;
  const written = await timed(() =>
    writeExternalDataModel({
      dir,
      model: gatherProbe(),
      modelFileName: 'external.onnx',
      tensors: [
        { name: 'a', dataType: 'float', dims: [count], bytes: generate((i) => i % 4096) },
        { name: 'b', dataType: 'float', dims: [count], bytes: generate((i) => -(i % 1024)) },
      ],
    }),
  );
  ctx.log('loading it in a fresh process');
  const child = await promisify(execFile)(
    process.execPath,
    [
      '--import',
      'tsx',
      new URL('./load-external.ts', import.meta.url).pathname,
      written.value.modelPath,
      String(count),
    ],
    {
      maxBuffer: MiB,
    },
  );
  const loaded = JSON.parse(child.stdout.trim().split('\n').at(-1)!) as {
    createMs: number;
    runMs: number;
    ok: boolean;
    baselineMiB: number;
    peakMiB: number;
    afterRunMiB: number;
  };
  if (!loaded.ok) throw new Error('the external-data model returned wrong values');
  const dataMiB = written.value.dataBytes / MiB;
  return {
    title: `External data: ${(written.value.dataBytes / 2 ** 30).toFixed(2)} GiB in two initializers (model.onnx + model.onnx.data)`,
    columns: ['step', 'ms', 'memory MiB', 'data MiB'],
    rows: [
      ['stream to disk (writer RSS growth)', written.ms, (peakRss - rssBefore) / MiB, dataMiB],
      ['ORT session create from path (process peak RSS)', loaded.createMs, loaded.peakMiB, dataMiB],
      ['  peak RSS of that process before loading', '', loaded.baselineMiB, ''],
      ['run: Gather 3 elements from each (RSS after)', loaded.runMs, loaded.afterRunMiB, ''],
    ],
    notes: [
      'the loader runs in a fresh node process (peak = VmHWM) so its peak RSS is the load alone; values are checked.',
    ],
  };
}

function checkClose(got: Float32Array, want: Float32Array, what: string): void {
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!));
  if (!(worst <= 1e-3)) throw new Error(`${what}: output differs from the cpu reference by ${worst}`);
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}
