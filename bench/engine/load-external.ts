// Child process of the engine bench: loads an external-data model through the runtime and reports its
// timings and the process's peak resident memory (a fresh process, so the peak is this load's alone).
import { SessionCache } from '../../main/engine/runtime';

const [modelPath, expectedCount] = process.argv.slice(2);
if (!modelPath || !expectedCount) throw new Error('usage: load-external.ts <model.onnx> <elements per tensor>');
const n = Number(expectedCount);
const baselineKb = process.resourceUsage().maxRSS;
const cache = new SessionCache();
const t0 = performance.now();
const session = await cache.get(
  { hash: 'bench-external', ep: 'cpu', profilePlacement: false },
  { hash: 'bench-external', source: { kind: 'file', path: modelPath }, inputs: [], outputs: [] },
);
const createMs = performance.now() - t0;
const idx = [0, 1, n - 1];
const t1 = performance.now();
const { out } = await session.run({ idx: { dtype: 'int64', data: BigInt64Array.from(idx.map(BigInt)), dims: [idx.length] } });
const runMs = performance.now() - t1;
// Values written by the bench: a[i] = i % 4096, b[i] = -(i % 1024).
const ok = idx.every((i, k) => (out!.data as Float32Array)[k] === (i % 4096) - (i % 1024));
await cache.clear();
console.log(JSON.stringify({ createMs, runMs, ok, baselineMiB: baselineKb / 1024, peakMiB: process.resourceUsage().maxRSS / 1024 }));
