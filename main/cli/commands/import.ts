import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import {
  importFolder,
  importHpd,
  importPairs,
  importPickapic,
  type Library,
  type ImportProgress,
  type ImportReport,
} from '../../services/library';
import { CliError } from '../errors';
import { databaseOption, parseNonEmpty } from '../options';
import { openCliLibrary } from '../library';

interface ImportOptions {
  library: string;
  database?: string;
  folder?: string;
  prompts?: string;
  hpd?: string;
  pickapic?: string;
  pairs?: string;
  splitPairs?: boolean;
  imageRoot?: string;
}

export function registerImport(program: Command): void {
  program
    .command('import')
    .description(
      'Import images and labels into a library: a folder + prompts file, HPD v1/v2 JSON, Pick-a-Pic parquet or pairs JSONL.',
    )
    .requiredOption('-l, --library <dir>', 'library folder (created if missing)', parseNonEmpty)
    .addOption(databaseOption())
    .option('--folder <dir>', 'folder of images (use with --prompts)', parseNonEmpty)
    .option(
      '--prompts <file>',
      'CSV (header: image,prompt[,group]) or JSONL; image paths relative to --folder',
      parseNonEmpty,
    )
    .option(
      '--split-pairs',
      'with --folder: make every pair of a prompt’s images a comparison instead of one N-way comparison',
    )
    .option(
      '--hpd <file>',
      'HPD v1 preference_{train,test}.json or HPD v2 train.json / test.json',
      parseNonEmpty,
    )
    .addOption(
      new Option(
        '--image-root <dir>',
        'with --hpd: folder the item paths are relative to (default: beside the JSON)',
      ).argParser(parseNonEmpty),
    )
    .option(
      '--pickapic <file>',
      'Pick-a-Pic parquet shard (caption, jpg_0, jpg_1, label_0, label_1)',
      parseNonEmpty,
    )
    .option(
      '--pairs <file>',
      'pairs JSONL (prompt, chosen, rejected, tie, annotator; paths relative to the file)',
      parseNonEmpty,
    )
    .addHelpText(
      'after',
      `
Progress goes to stderr; a summary and every per-file error are printed at the end. Bad files are reported
and skipped; images already in the library (same sha256) are reused, so re-running an import adds nothing.

Examples:
  $ hps-studio import --library ./lib --folder ./shots --prompts ./shots/prompts.csv
  $ hps-studio import --library ./lib --hpd ./HPD/test.json
  $ hps-studio import --library ./lib --pickapic ./pickapic_v2/test-00000.parquet
  $ hps-studio import --library ./lib --pairs ./export/pairs.jsonl`,
    )
    .action(runImport);
}

async function runImport(options: ImportOptions): Promise<void> {
  const sources = [options.folder ?? options.prompts, options.hpd, options.pickapic, options.pairs].filter(
    Boolean,
  );
  if (sources.length !== 1)
    throw new CliError('give exactly one source: --folder with --prompts, --hpd, --pickapic or --pairs.');
  if ((options.folder === undefined) !== (options.prompts === undefined))
    throw new CliError('--folder and --prompts go together.');
  const library = await openCliLibrary(options);
  try {
    const onProgress = progressPrinter();
    const report = await importFrom(library, options, onProgress);
    if (process.stderr.isTTY) process.stderr.write('\n');
    printReport(report);
  } finally {
    await library.close();
  }
}

function importFrom(
  library: Library,
  options: ImportOptions,
  onProgress: (p: ImportProgress) => void,
): Promise<ImportReport> {
  if (options.folder && options.prompts) {
    return importFolder(library, resolve(options.folder), resolve(options.prompts), {
      onProgress,
      split: options.splitPairs ? 'pairs' : 'group',
    });
  }
  if (options.hpd)
    return importHpd(library, resolve(options.hpd), {
      onProgress,
      imageRoot: options.imageRoot && resolve(options.imageRoot),
    });
  if (options.pickapic) return importPickapic(library, resolve(options.pickapic), { onProgress });
  return importPairs(library, resolve(options.pairs!), { onProgress });
}

/** One line rewritten in place on a terminal; a line per 10 % when stderr is a file or pipe. */
function progressPrinter(): (progress: ImportProgress) => void {
  let lastDecile = -1;
  return ({ done, total }) => {
    const percent = total === 0 ? 100 : Math.floor((done / total) * 100);
    if (process.stderr.isTTY) {
      process.stderr.write(`\rimporting ${done}/${total} (${percent}%)`);
    } else if (Math.floor(percent / 10) > lastDecile) {
      lastDecile = Math.floor(percent / 10);
      process.stderr.write(`importing ${done}/${total} (${percent}%)\n`);
    }
  };
}

function printReport(report: ImportReport): void {
  console.log(`Imported (${report.format}): ${report.records} records`);
  console.log(`  images       ${report.imagesAdded} new, ${report.imagesDuplicate} already in the library`);
  console.log(
    `  comparisons  ${report.comparisonsAdded} new, ${report.comparisonsDuplicate} already in the library`,
  );
  console.log(
    `  judgments    ${report.judgmentsAdded} new, ${report.judgmentsDuplicate} already in the library`,
  );
  if (report.errors.length === 0) {
    console.log('  errors       none');
    return;
  }
  console.log(`  errors       ${report.errors.length} (skipped):`);
  for (const error of report.errors) console.log(`    ${error.file}: ${error.message}`);
}
