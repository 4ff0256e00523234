import { resolve } from 'node:path';
import { redactMessage, redactUrl } from '../common/redact';
import { Library } from '../services/library';
import { CliError } from './errors';

/**
 * Opens the library a command names: `--library <dir>`, plus `--database <url>` (or HPS_DATABASE_URL) when its
 * tables live in PostgreSQL. `mustExist` refuses a SQLite folder with no library yet (a typo must not start an
 * empty one). Connection errors become one line with the URL's password masked.
 */
export async function openCliLibrary(
  options: { library: string; database?: string },
  { mustExist = false } = {},
): Promise<Library> {
  const dir = resolve(options.library);
  if (!options.database) {
    if (mustExist && !Library.exists(dir))
      throw new CliError(`no library at ${dir} (expected library.sqlite there).`);
    return Library.open(dir);
  }
  try {
    return await Library.open(dir, { databaseUrl: options.database });
  } catch (error) {
    throw new CliError(
      `cannot open the library database ${redactUrl(options.database)}: ${redactMessage((error as Error).message, [options.database])}`,
    );
  }
}
