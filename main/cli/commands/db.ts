import { resolve } from 'node:path';
import type { Command } from 'commander';
import { redactMessage, redactUrl } from '../../common/redact';
import { Library, PostgresDatabase, copyLibrary, currentVersion, migrate } from '../../services/library';
import { CliError } from '../errors';
import { openCliLibrary } from '../library';
import { databaseOption, parseDatabaseUrl, parseNonEmpty } from '../options';

export function registerDb(program: Command): void {
  const db = program.command('db').description('Manage library databases (PostgreSQL for a team server).');
  db.command('migrate')
    .description(
      'Create or update the library tables to this version (safe to run again, and from two hosts).',
    )
    .addOption(databaseOption().makeOptionMandatory())
    .addHelpText(
      'after',
      `
Examples:
  $ HPS_DATABASE_URL=postgres://hps:secret@db:5432/hps hps-studio db migrate
  $ hps-studio db migrate --database postgres://hps@localhost/hps`,
    )
    .action(migrateCommand);
  db.command('copy')
    .description(
      'Copy a SQLite library into an empty PostgreSQL database, then check every table (rows, checksum).',
    )
    .requiredOption('--from <dir>', 'the SQLite library folder to copy', parseNonEmpty)
    .requiredOption('--to <url>', 'an empty PostgreSQL database (postgres://…)', parseDatabaseUrl)
    .addHelpText(
      'after',
      `
The images stay in the library folder: put it on a path every server and worker sees, then
  $ hps-studio serve --library <that folder> --database <the same URL>

Example:
  $ hps-studio db copy --from ~/.hps-studio/library --to postgres://hps:secret@db:5432/hps`,
    )
    .action(copyCommand);
  for (const command of db.commands) command.exitOverride().showHelpAfterError('(run with --help for usage)');
}

async function migrateCommand(options: { database: string }): Promise<void> {
  const db = PostgresDatabase.connect(options.database, { maxConnections: 1 });
  try {
    const from = await currentVersion(db);
    const to = await migrate(db);
    console.log(
      from === to
        ? `${redactUrl(options.database)} is already at schema version ${to}.`
        : `Migrated ${redactUrl(options.database)} from schema version ${from} to ${to}.`,
    );
  } catch (error) {
    throw new CliError(
      `cannot migrate ${redactUrl(options.database)}: ${redactMessage((error as Error).message, [options.database])}`,
    );
  } finally {
    await db.close();
  }
}

async function copyCommand(options: { from: string; to: string }): Promise<void> {
  const dir = resolve(options.from);
  if (!Library.exists(dir)) throw new CliError(`no library at ${dir}.`);
  const source = await Library.open(dir);
  const target = await openCliLibrary({ library: dir, database: options.to }).catch(
    async (error: unknown) => {
      await source.close();
      throw error;
    },
  );
  try {
    const tables = await copyLibrary(source.db, target.db);
    for (const { table, rows, checksum } of tables)
      console.log(`${table.padEnd(18)} ${String(rows).padStart(9)} rows  sha256 ${checksum.slice(0, 16)}  ✓`);
    console.log(`Copied ${dir} to ${redactUrl(options.to)}: every table matches.`);
  } catch (error) {
    throw new CliError(redactMessage((error as Error).message, [options.to]));
  } finally {
    await Promise.all([source.close(), target.close()]);
  }
}
