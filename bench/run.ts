// `npm run bench [-- <filter…>] [--quick]`: runs the suites whose name contains any filter (all without one).
import { formatTable, type BenchContext } from './harness';
import { SUITES } from './registry';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const filters = args.filter((a) => !a.startsWith('--'));
const selected = SUITES.filter((s) => filters.length === 0 || filters.some((f) => s.name.includes(f)));
if (selected.length === 0) {
  console.error(
    `no bench suite matches ${filters.join(', ')}; suites: ${SUITES.map((s) => s.name).join(', ')}`,
  );
  process.exit(2);
}

const ctx: BenchContext = { quick, log: (line) => console.error(`  ${line}`) };
let failed = false;
for (const entry of selected) {
  const { suite } = await entry.load();
  console.error(`# ${suite.name}: ${suite.description}${quick ? ' (quick)' : ''}`);
  try {
    for (const table of await suite.run(ctx)) console.log(`${formatTable(table)}\n`);
  } catch (err) {
    failed = true;
    console.error(`suite ${suite.name} failed:`, err);
  }
}
process.exit(failed ? 1 : 0);
