import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { createApi, createApp, defaultDataDir, teamAuthenticator } from '../../api';
import { appVersion } from '../../common/app-version';
import { isLoopbackHost, startServer } from '../../server';
import { CliError } from '../errors';
import { databaseOption, parseNonEmpty, parsePort, queueOption } from '../options';
import { redactMessage, redactUrl } from '../../common/redact';
import { portIsFree } from '../serve/free-port';
import { openBrowser } from '../serve/open-browser';
import { RENDERER_DIR, ensureRendererBuilt } from '../serve/renderer-build';

export const DEFAULT_PORT = 7860;

interface ServeOptions {
  library?: string;
  data?: string;
  host: string;
  port: number;
  open?: boolean;
  database?: string;
  queue?: string;
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('Serve the studio UI and API to a browser (browser mode; team annotation).')
    .option(
      '-l, --library <dir>',
      'library folder, created if missing (default: library/ in the data folder)',
      parseNonEmpty,
    )
    .option(
      '--data <dir>',
      'user data folder; models go in its models/ (default ~/.hps-studio)',
      parseNonEmpty,
    )
    .option('--host <host>', 'address to bind; keep 127.0.0.1 unless you mean to share it', '127.0.0.1')
    .option(
      '-p, --port <port>',
      `port to listen on (0 picks a free one; default ${DEFAULT_PORT}, or a free one if that is taken)`,
      parsePort,
    )
    .addOption(databaseOption())
    .addOption(
      queueOption(
        'Redis queue (redis://…): library scoring goes to `hps-studio worker` processes instead of this one',
      ),
    )
    .option(
      '--open',
      'open the studio in your browser (BROWSER=<program> picks it, BROWSER=none never opens)',
    )
    .addHelpText(
      'after',
      `
Examples:
  $ hps-studio serve                              # the default library in ~/.hps-studio/library
  $ hps-studio serve --library ~/hps-library --open
  $ hps-studio serve --library ./library --port 8080
  $ HPS_DATABASE_URL=postgres://hps:secret@db/hps HPS_QUEUE_URL=redis://:secret@queue:6379 \\
      hps-studio serve --library /mnt/hps-library --host 0.0.0.0   # a team server (see the README)`,
    )
    .action(serve);
}

/** The asked port; without one the default, or a free port when another program holds the default. */
async function choosePort(options: ServeOptions): Promise<{ port: number; note?: string }> {
  if (options.port !== undefined) return { port: options.port };
  if (await portIsFree(options.host, DEFAULT_PORT)) return { port: DEFAULT_PORT };
  return { port: 0, note: `port ${DEFAULT_PORT} is in use, so the studio takes a free one` };
}

async function listen(options: ServeOptions, libraryDir: string) {
  const dataDir = options.data === undefined ? undefined : resolve(options.data);
  const studio = await createApp({
    libraryDir,
    dataDir,
    info: { version: appVersion(), mode: 'serve', electron: null },
    databaseUrl: options.database,
    queueUrl: options.queue,
  }).catch((error: Error) => {
    throw new CliError(
      `cannot open the studio: ${redactMessage(error.message, [options.database, options.queue])}`,
    );
  });
  const api = createApi(studio);
  const { port, note } = await choosePort(options);
  if (note) console.log(note);
  try {
    return await startServer({
      api,
      host: options.host,
      port,
      staticDir: RENDERER_DIR,
      // Team mode: once the library has a login, every request needs a token (see app/caller.ts).
      authenticate: teamAuthenticator(() => studio.library),
    });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE')
      throw new CliError(`port ${port} is already in use; pick another with --port.`);
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND')
      throw new CliError(`cannot bind to host ${options.host}.`);
    throw err;
  }
}

async function serve(options: ServeOptions): Promise<void> {
  const libraryDir = resolve(options.library ?? join(options.data ?? defaultDataDir(), 'library'));
  try {
    mkdirSync(libraryDir, { recursive: true });
  } catch (err) {
    throw new CliError(`cannot create the library folder ${libraryDir}: ${(err as Error).message}`);
  }
  const ui = ensureRendererBuilt();
  if (!ui.ready)
    console.warn(`Warning: ${ui.reason}; the API runs, but pages answer with how to build the UI.`);
  const { app, url } = await listen(options, libraryDir);
  console.log(`HPS Studio is serving the library ${libraryDir}`);
  if (options.database) console.log(`Library database: ${redactUrl(options.database)}`);
  if (options.queue) console.log(`Library scoring goes to the queue ${redactUrl(options.queue)}`);
  console.log(`Open ${url} in your browser. Press Ctrl+C to stop.`);
  if (!isLoopbackHost(options.host)) {
    console.warn(
      `Warning: ${options.host} is reachable from other machines, and anyone who can reach it has full access.`,
    );
  }
  if (options.open) {
    const opened = await openBrowser(url);
    console.log(
      opened.opened ? `Opened it with ${opened.with}.` : `Not opening a browser: ${opened.reason}.`,
    );
  }
  stopOnSignals(() => app.close());
}

function stopOnSignals(close: () => Promise<void>): void {
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
