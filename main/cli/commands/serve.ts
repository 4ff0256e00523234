import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { createApi, createApiServices } from '../../api';
import { teamAuthenticator } from '../../api/library-access';
import { appVersion } from '../../common/app-version';
import { isLoopbackHost, startServer } from '../../server';
import { CliError } from '../errors';
import { parseNonEmpty, parsePort } from '../options';

interface ServeOptions {
  library: string;
  data?: string;
  host: string;
  port: number;
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('Serve the studio UI and API to a browser (browser mode; team annotation later).')
    .requiredOption('-l, --library <dir>', 'library folder (created if missing)', parseNonEmpty)
    .option(
      '--data <dir>',
      'user data folder; models go in its models/ (default ~/.hps-studio)',
      parseNonEmpty,
    )
    .option('--host <host>', 'address to bind; keep 127.0.0.1 unless you mean to share it', '127.0.0.1')
    .option('-p, --port <port>', 'port to listen on (0 picks a free one)', parsePort, 7860)
    .addHelpText(
      'after',
      `
Examples:
  $ hps-studio serve --library ~/hps-library
  $ hps-studio serve --library ./library --port 8080`,
    )
    .action(serve);
}

async function serve(options: ServeOptions): Promise<void> {
  const libraryDir = resolve(options.library);
  try {
    mkdirSync(libraryDir, { recursive: true });
  } catch (err) {
    throw new CliError(`cannot create the library folder ${libraryDir}: ${(err as Error).message}`);
  }
  const api = createApi(
    createApiServices({
      libraryDir,
      dataDir: options.data === undefined ? undefined : resolve(options.data),
      app: { version: appVersion(), mode: 'serve', electron: null },
    }),
  );
  let url: string;
  let close: () => Promise<void>;
  try {
    const started = await startServer({
      api,
      host: options.host,
      port: options.port,
      // Team mode: once the library has a login, every request needs a token (see library-access.ts).
      authenticate: teamAuthenticator(libraryDir),
    });
    url = started.url;
    close = () => started.app.close();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE')
      throw new CliError(`port ${options.port} is already in use; pick another with --port.`);
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND')
      throw new CliError(`cannot bind to host ${options.host}.`);
    throw err;
  }
  console.log(`HPS Studio is serving the library ${libraryDir}`);
  console.log(`Open ${url} in your browser. Press Ctrl+C to stop.`);
  if (!isLoopbackHost(options.host)) {
    console.warn(
      `Warning: ${options.host} is reachable from other machines, and anyone who can reach it has full access.`,
    );
  }
  let stopping = false;
  const stop = () => {
    // A second Ctrl+C while scoring jobs wind down stops at once.
    if (stopping) process.exit(1);
    stopping = true;
    console.log('Stopping: cancelling scoring jobs and closing the scorers and the library…');
    close().then(
      () => {
        console.log('Stopped.');
        process.exit(0);
      },
      (err: unknown) => {
        console.error(`Stopped with an error: ${(err as Error).message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
