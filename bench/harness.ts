// Bench harness: a suite is one module exporting a BenchSuite; registry.ts lists them; bin/bench.mjs runs
// the ones matching the command-line filter and prints each returned table.

export interface BenchContext {
  /** Smaller sizes, for checking that a suite works rather than for numbers. */
  quick: boolean;
  /** Progress lines (stderr), so the tables on stdout stay clean. */
  log: (line: string) => void;
}

export interface BenchTable {
  title: string;
  columns: readonly string[];
  rows: readonly (readonly (string | number)[])[];
  notes?: readonly string[];
}

export interface BenchSuite {
  name: string;
  description: string;
  run: (ctx: BenchContext) => Promise<BenchTable[]>;
}

export function formatTable(table: BenchTable): string {
  const cells = [table.columns, ...table.rows].map((row) =>
    row.map((c) => (typeof c === 'number' ? formatNumber(c) : c)),
  );
  const widths = table.columns.map((_, i) => Math.max(...cells.map((row) => row[i]?.length ?? 0)));
  const line = (row: readonly string[]) => `| ${row.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  const out = [
    `## ${table.title}`,
    '',
    line(cells[0]!),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...cells.slice(1).map(line),
  ];
  for (const note of table.notes ?? []) out.push(`> ${note}`);
  return out.join('\n');
}

function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Number.isInteger(n)) return String(n);
  return Math.abs(n) >= 100 ? n.toFixed(0) : n.toFixed(Math.abs(n) >= 10 ? 1 : 2);
}

/** Milliseconds taken by fn, with its result. */
export async function timed<T>(fn: () => Promise<T> | T): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await fn();
  return { ms: performance.now() - start, value };
}

export const MiB = 2 ** 20;
