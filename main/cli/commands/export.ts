import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import {
  exportHpdV2,
  exportPairs,
  exportPickapic,
  exportScoresCsv,
  type Library,
  type ExportReport,
} from '../../services/library';
import { databaseOption, parseNonEmpty } from '../options';
import { openCliLibrary } from '../library';

const FORMATS = ['pairs-jsonl', 'hpd-v2', 'pickapic', 'scores-csv'] as const;
type Format = (typeof FORMATS)[number];

interface ExportOptions {
  library: string;
  database?: string;
  format: Format;
  out: string;
  hpdSplit: 'train' | 'test';
  preferencesOnly?: boolean;
  model?: string;
}

export function registerExport(program: Command): void {
  program
    .command('export')
    .description(
      'Export a library’s labels: pairs JSONL, HPD v2 JSON, Pick-a-Pic parquet, or a CSV of scores.',
    )
    .requiredOption('-l, --library <dir>', 'library folder', parseNonEmpty)
    .addOption(databaseOption())
    .addOption(new Option('-f, --format <format>', 'output format').choices(FORMATS).makeOptionMandatory())
    .requiredOption(
      '-o, --out <file>',
      'output file; images are copied into <name>_images/ beside it',
      parseNonEmpty,
    )
    .addOption(
      new Option('--hpd-split <split>', 'hpd-v2: train (choices, ties) or test (rankings)')
        .choices(['train', 'test'])
        .default('train'),
    )
    .option('--preferences-only', 'pairs-jsonl: leave out both-bad, skip and unlabeled comparisons')
    .option('--model <id>', 'scores-csv: only this scorer’s scores', parseNonEmpty)
    .addHelpText(
      'after',
      `
pairs-jsonl lines hold prompt, chosen, rejected (paths relative to the file), tie, annotator and time, plus
the fields a re-import needs to rebuild the library exactly (id, kind, images, ranking, shown, ms, group, gold).

Examples:
  $ hps-studio export --library ./lib --format pairs-jsonl --out ./export/pairs.jsonl
  $ hps-studio export --library ./lib --format hpd-v2 --out ./export/train.json
  $ hps-studio export --library ./lib --format pickapic --out ./export/labels.parquet
  $ hps-studio export --library ./lib --format scores-csv --out ./export/scores.csv`,
    )
    .action(runExport);
}

async function runExport(options: ExportOptions): Promise<void> {
  const library = await openCliLibrary(options, { mustExist: true });
  const out = resolve(options.out);
  try {
    mkdirSync(dirname(out), { recursive: true });
    printReport(await exportTo(library, options, out));
  } finally {
    await library.close();
  }
}

function exportTo(library: Library, options: ExportOptions, out: string): Promise<ExportReport> {
  switch (options.format) {
    case 'pairs-jsonl':
      return exportPairs(library, out, { preferencesOnly: options.preferencesOnly });
    case 'hpd-v2':
      return exportHpdV2(library, out, { split: options.hpdSplit });
    case 'pickapic':
      return exportPickapic(library, out);
    case 'scores-csv':
      return exportScoresCsv(library, out, { modelId: options.model });
  }
}

function printReport(report: ExportReport): void {
  console.log(`Exported ${report.records} records (${report.format}) to ${report.file}`);
  if (report.imagesCopied > 0) console.log(`  ${report.imagesCopied} images copied beside it`);
  for (const { reason, count } of report.skipped)
    console.log(`  skipped ${count} × ${reason} (not expressible in this format)`);
}
