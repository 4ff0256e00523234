import { Option, type Command } from 'commander';
import type { Role } from '../../services/library';
import { CliError } from '../errors';
import { databaseOption, parseNonEmpty } from '../options';
import { openCliLibrary } from '../library';

export function registerAnnotators(program: Command): void {
  const annotators = program
    .command('annotators')
    .description('Manage the people who label a library (team mode logins).');
  annotators
    .command('add <name>')
    .description('Add an annotator and print their login token (shown once; only its hash is stored).')
    .requiredOption('-l, --library <dir>', 'library folder (created if missing)', parseNonEmpty)
    .addOption(databaseOption())
    .addOption(
      new Option('--role <role>', 'admin may import, export, delete and change settings')
        .choices(['admin', 'annotator'])
        .default('annotator'),
    )
    .addHelpText(
      'after',
      `
The token is the last line of the output, so scripts can take it with \`tail -n 1\`.

Examples:
  $ hps-studio annotators add alice --library ./lib
  $ hps-studio annotators add bob --library ./lib --role admin`,
    )
    .action(add);
  annotators
    .command('list')
    .description('List annotators with their role.')
    .requiredOption('-l, --library <dir>', 'library folder', parseNonEmpty)
    .addOption(databaseOption())
    .action(list);
  for (const command of annotators.commands)
    command.exitOverride().showHelpAfterError('(run with --help for usage)');
}

async function add(name: string, options: { library: string; database?: string; role: Role }): Promise<void> {
  const library = await openCliLibrary(options);
  try {
    const { annotator, token } = await library.annotators.create(name, options.role);
    console.log(`Added ${annotator.role} "${annotator.name}" to ${library.dir}. Login token (shown once):`);
    console.log(token);
  } catch (err) {
    throw new CliError((err as Error).message);
  } finally {
    await library.close();
  }
}

async function list(options: { library: string; database?: string }): Promise<void> {
  const library = await openCliLibrary(options, { mustExist: true });
  try {
    const all = await library.annotators.list();
    if (all.length === 0)
      console.log('No annotators yet. Add one with: hps-studio annotators add NAME --library DIR');
    for (const annotator of all) {
      console.log(
        `${annotator.name}\t${annotator.role}${annotator.canLogin ? '' : '\t(imported, no login)'}`,
      );
    }
  } finally {
    await library.close();
  }
}
