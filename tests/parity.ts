// Every numeric parity check (ours against ../shared/fixtures, or against an exact reference) goes through
// expectWithin: it asserts the error is below its tolerance and prints how much of the tolerance it uses, so
// a check that drifts toward its edge shows in the test output. Under `npm test` each check is also logged
// (HPS_PARITY_LOG) and the run ends with the checks closest to their tolerance (tests/margin-reporter.ts).
import { appendFileSync } from 'node:fs';
import { expect } from 'vitest';

export interface ParityRecord {
  test: string;
  label: string;
  error: number;
  tolerance: number;
}

/** error / tolerance as a whole percentage. */
export function percentOfTolerance(error: number, tolerance: number): number {
  return tolerance === 0 ? (error === 0 ? 0 : Infinity) : Math.round((100 * error) / tolerance);
}

/** Asserts error ≤ tolerance (the fixtures README's convention) and reports the share of the tolerance used. */
export function expectWithin(label: string, error: number, tolerance: number): void {
  const test = expect.getState().currentTestName ?? '';
  console.log(
    `parity ${label}: ${error.toExponential(2)} of ${tolerance} (${percentOfTolerance(error, tolerance)} % of the tolerance)`,
  );
  const log = process.env.HPS_PARITY_LOG;
  if (log) {
    const record: ParityRecord = { test, label, error, tolerance };
    appendFileSync(log, `${JSON.stringify(record)}\n`);
  }
  expect(error, label).toBeLessThanOrEqual(tolerance);
}
