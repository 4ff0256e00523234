// A worker task used by the job tests: sums 0..n-1 in steps, reporting progress, or spins forever.
import type { WorkerTask } from '../../../main/services/jobs';

export const sumTo: WorkerTask<{ n: number; steps: number }, number> = async ({ n, steps }, report) => {
  let total = 0;
  for (let i = 0; i < n; i++) {
    total += i;
    if ((i + 1) % Math.ceil(n / steps) === 0) report((i + 1) / n, `summed ${i + 1}`);
  }
  return total;
};

export const spin: WorkerTask<null, never> = async (_input, report) => {
  report(0.5, 'spinning');
  for (;;) {
    // busy loop: only worker.terminate() can stop it, which is what cancel must do
  }
};

export const fail: WorkerTask<null, never> = async () => {
  throw new Error('task failed on purpose');
};
