// A Vitest reporter for `npm test` that ends the run with how close its checks came to their limits: the parity
// checks nearest their tolerance (from the HPS_PARITY_LOG that tests/parity.ts appends to) and the tests
// nearest their timeout. Anything within 20 % of its limit is named, so an edge is seen before it flakes.
import { existsSync, readFileSync } from 'node:fs';
import type { Reporter, TestModule, Vitest } from 'vitest/node';
import { type ParityRecord, percentOfTolerance } from './parity';

/** A check using more than this share of its limit sits on its edge. */
export const EDGE = 0.8;
const SHOWN = 5;

interface Usage {
  name: string;
  used: number;
  detail: string;
}

function parityUsage(log: string | undefined): Usage[] {
  if (!log || !existsSync(log)) return [];
  return readFileSync(log, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as ParityRecord)
    .map((r) => ({
      name: `${r.test} — ${r.label}`,
      used: r.tolerance === 0 ? (r.error === 0 ? 0 : Infinity) : r.error / r.tolerance,
      detail: `${r.error.toExponential(2)} of ${r.tolerance} (${percentOfTolerance(r.error, r.tolerance)} %)`,
    }));
}

function timeoutUsage(modules: ReadonlyArray<TestModule>, defaultTimeout: number): Usage[] {
  const out: Usage[] = [];
  for (const module of modules)
    for (const test of module.children.allTests()) {
      if (test.result().state !== 'passed' && test.result().state !== 'failed') continue;
      const timeout = test.options.timeout ?? defaultTimeout;
      const ms = test.diagnostic()?.duration ?? 0;
      out.push({
        name: test.fullName,
        used: ms / timeout,
        detail: `${(ms / 1000).toFixed(1)} s of ${(timeout / 1000).toFixed(0)} s (${Math.round((100 * ms) / timeout)} %)`,
      });
    }
  return out;
}

function summarise(kind: string, usages: Usage[]): string[] {
  if (usages.length === 0) return [`${kind}: none recorded`];
  const sorted = [...usages].sort((a, b) => b.used - a.used);
  const edge = sorted.filter((u) => u.used > EDGE);
  return [
    `${kind}: ${usages.length} checked, ${edge.length} within ${Math.round((1 - EDGE) * 100)} % of the limit; closest:`,
    ...sorted
      .slice(0, Math.max(SHOWN, edge.length))
      .map((u) => `  ${u.used > EDGE ? '!' : ' '} ${u.detail}  ${u.name}`),
  ];
}

export default class MarginReporter implements Reporter {
  private defaultTimeout = 5000;

  onInit(vitest: Vitest): void {
    this.defaultTimeout = vitest.config.testTimeout;
  }

  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const lines = [
      '',
      ...summarise('Parity tolerances', parityUsage(process.env.HPS_PARITY_LOG)),
      ...summarise('Test timeouts', timeoutUsage(modules, this.defaultTimeout)),
    ];
    console.log(lines.join('\n'));
  }
}
