import { InvalidArgumentError, Option, type Command } from 'commander';
import { redactUrl } from '../../common/redact';
import { EXECUTION_PROVIDERS, type ExecutionProvider } from '../../contract/names';
import { ScoringWorker } from '../../services/queue/scoring-worker';
import { TaskQueueHost } from '../../services/queue/task-queue';
import { taskExecutor } from '../../app/tasks/remote-tasks';
import { openCliLibrary } from '../library';
import { databaseOption, oneOf, parseNonEmpty, queueOption } from '../options';

interface WorkerOptions {
  queue: string;
  database: string;
  library: string;
  ep: ExecutionProvider;
  concurrency: number;
  lockTimeout: number;
}

export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description(
      "Take work off a team server's Redis queue (library scoring chunks, generation batches, scorer training) and run it on this host (one per GPU host).",
    )
    .addOption(queueOption('the Redis queue the server was started with (redis://…)').makeOptionMandatory())
    .addOption(databaseOption().makeOptionMandatory())
    .requiredOption(
      '-l, --library <dir>',
      "the library folder as this host mounts it (the shared folder with the server's images)",
      parseNonEmpty,
    )
    .option(
      '--ep <ep>',
      `execution provider: ${EXECUTION_PROVIDERS.join(' | ')}`,
      oneOf(EXECUTION_PROVIDERS),
      'cpu',
    )
    .addOption(new Option('--concurrency <n>', 'chunks scored at once').argParser(positiveInteger).default(1))
    .addOption(
      new Option('--lock-timeout <seconds>', 'how soon a chunk of a worker that died is given to another')
        .argParser(positiveInteger)
        .default(30),
    )
    .addHelpText(
      'after',
      `
Models are read from the paths the server names, so keep them (like the library) on a path every host sees.
Stop with Ctrl-C: the chunk in hand is finished first. A worker killed outright loses nothing: its chunk goes
back to the queue after --lock-timeout and another worker scores it.

Example:
  $ HPS_DATABASE_URL=postgres://hps:secret@db/hps HPS_QUEUE_URL=redis://:secret@queue:6379 \\
      hps-studio worker --library /mnt/hps-library --ep cuda`,
    )
    .action(work);
}

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1) throw new InvalidArgumentError('expected a positive integer.');
  return n;
}

async function work(options: WorkerOptions): Promise<void> {
  const library = await openCliLibrary(options);
  const worker = new ScoringWorker({
    queueUrl: options.queue,
    library,
    ep: options.ep,
    concurrency: options.concurrency,
    lockDurationMs: options.lockTimeout * 1000,
    log: (message) => console.log(message),
  });
  // Generation and training tasks run in worker threads of this process, the library opened where it lives.
  const tasks = taskExecutor(options.database);
  const host = new TaskQueueHost(options.queue, tasks.execute, {
    lockDurationMs: options.lockTimeout * 1000,
    log: (message) => console.log(message),
  });
  await Promise.all([worker.ready(), host.ready()]);
  console.log(
    `Worker ready: queue ${redactUrl(options.queue)}, database ${redactUrl(options.database)}, ` +
      `library ${library.dir}, ${options.ep}.`,
  );
  await new Promise<void>((done) => {
    const stop = () => {
      console.log('Stopping: finishing the chunk in hand…');
      void Promise.all([worker.close(), host.close()])
        .then(() => tasks.close())
        .then(() => library.close())
        .then(done);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
