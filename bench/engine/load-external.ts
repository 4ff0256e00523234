// Child process of the engine bench: loads an external-data model through the runtime and reports its
// timings and the process's peak resident memory (a fresh process, so the peak is this load's alone).
import { readFileSync } from 'node:fs';
import { SessionCache } from '../../main/engine/runtime';

/** VmHWM / VmRSS of this process in MiB. (getrusage's maxRSS would include the parent's RSS at fork time.) */
function memoryMiB(field: 'VmHWM' | 'VmRSS'): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync('/proc/self/status', 'utf8'));
  if (!match) throw new Error(`no ${field} in /proc/self/status`);
  return Number(match[1]) / 1024;
}

const [modelPath, expectedCount] = process.argv.slice(2);
if (!modelPath || !expectedCount)
  throw new Error('usage: load-external.ts <model.onnx> <elements per tensor>');
const n = Number(expectedCount);
const baselineMiB = memoryMiB('VmHWM');
const cache = new SessionCache();
const t0 = performance.now();
const session = await cache.get(
  { hash: 'bench-external', ep: 'cpu', profilePlacement: false },
  { hash: 'bench-external', source: { kind: 'file', path: modelPath }, inputs: [], outputs: [] },
);
const createMs = performance.now() - t0;
const idx = [0, 1, n - 1];
const t1 = performance.now();
const { out } = await session.run({
  idx: { dtype: 'int64', data: BigInt64Array.from(idx.map(BigInt)), dims: [idx.length] },
});
const runMs = performance.now() - t1;
// Values written by the bench: a[i] = i % 4096, b[i] = -(i % 1024).
const ok = idx.every((i, k) => (out!.data as Float32Array)[k] === (i % 4096) - (i % 1024));
const afterRunMiB = memoryMiB('VmRSS');
const peakMiB = memoryMiB('VmHWM');
await cache.clear();
console.log(JSON.stringify({ createMs, runMs, ok, baselineMiB, peakMiB, afterRunMiB }));
