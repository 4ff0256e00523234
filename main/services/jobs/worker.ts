// Runs a job function in a worker thread so CPU-heavy work never blocks the process that answers API calls.
// The function is a named export of a module (a WorkerTask): `(input, report) => Promise<output>`; `report(fraction,
// message)` feeds the job's progress. Cancelling the job terminates the worker.
import { Worker } from 'node:worker_threads';
import { workerModule } from '../../engine/runtime/worker-module';
import { JobCancelledError, type JobContext } from './registry';

export type WorkerTask<I, O> = (input: I, report: (fraction: number, message?: string) => void) => Promise<O>;

type WorkerMessage =
  | { type: 'progress'; fraction: number; message?: string }
  | { type: 'done'; result: unknown }
  | { type: 'error'; message: string };

const BOOTSTRAP = workerModule('jobs-worker', './worker-bootstrap.mjs', import.meta.url);

/** Input and output cross the thread boundary by structured clone: plain data and typed arrays only. */
export function runInWorker<O>(module: URL, exportName: string, input: unknown, ctx: JobContext): Promise<O> {
  if (ctx.signal.aborted) return Promise.reject(new JobCancelledError());
  return new Promise<O>((resolve, reject) => {
    const worker = new Worker(BOOTSTRAP, { workerData: { moduleUrl: module.href, exportName, input } });
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      ctx.signal.removeEventListener('abort', onAbort);
      fn();
    };
    const onAbort = () => {
      settle(() => reject(new JobCancelledError()));
      void worker.terminate();
    };
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    worker.on('message', (msg: WorkerMessage) => {
      if (msg.type === 'progress') ctx.progress(msg.fraction, msg.message);
      else if (msg.type === 'done') settle(() => resolve(msg.result as O));
      else settle(() => reject(new Error(msg.message)));
    });
    worker.on('error', (err) => settle(() => reject(err)));
    worker.on('exit', (code) =>
      settle(() => reject(new Error(`worker exited with code ${code} before finishing`))),
    );
  });
}
