// Worker-thread entry for runInWorker (worker.ts): loads the task module (a .ts one through tsx's loader; in
// the desktop bundle a bundled .mjs, see workerModule) and runs the named export, posting progress and the
// result back to the job.
import { parentPort, workerData } from 'node:worker_threads';

const { moduleUrl, exportName, input } = workerData;
try {
  if (moduleUrl.endsWith('.ts')) (await import('tsx/esm/api')).register();
  const task = (await import(moduleUrl))[exportName];
  if (typeof task !== 'function') throw new Error(`${moduleUrl} has no exported function ${exportName}`);
  const report = (fraction, message) => parentPort.postMessage({ type: 'progress', fraction, message });
  const result = await task(input, report);
  parentPort.postMessage({ type: 'done', result });
} catch (err) {
  parentPort.postMessage({ type: 'error', message: err instanceof Error ? err.message : String(err) });
}
