// Tasks on the Redis queue, both sides. The server's RemoteTaskRunner stands in for a worker thread; a worker
// host (`hps-studio worker`) runs what arrives in its own worker threads, so events, commands and cancel behave
// as they do in one process. The library's database URL never travels in the queue: the server removes it from
// the task's input and each host puts in its own (`--database`).
import { JobCancelledError, type JobContext } from '../../services/jobs';
import type { LibraryLocation } from '../../services/library';
import type { RemoteTaskQueue, TaskHostChannel, QueuedTask } from '../../services/queue/task-queue';
import { isTaskModuleName, localTaskRunner, type TaskModuleName } from './task-modules';
import type { TaskRunner } from './task-worker';

export class RemoteTaskRunner implements TaskRunner {
  constructor(
    private readonly queue: RemoteTaskQueue,
    private readonly module: TaskModuleName,
    private readonly exportName: string,
  ) {}

  run<O, E = unknown>(input: unknown, job: JobContext, onEvent: (event: E) => void) {
    const task: QueuedTask = {
      module: this.module,
      exportName: this.exportName,
      input: withoutDatabase(input),
    };
    const { done, command } = this.queue.run(task, job.signal, (event) => onEvent(event as E));
    return {
      done: done.then(
        (result) => result as O,
        (error: Error) => {
          throw job.signal.aborted ? new JobCancelledError() : error;
        },
      ),
      command,
    };
  }

  async close(): Promise<void> {}
}

/** A host's task runner: the studio's task modules in worker threads of this process, one per module and
 *  function, kept warm between tasks (a generation pipeline stays loaded). */
export function taskExecutor(databaseUrl: string | undefined) {
  const runners = new Map<string, TaskRunner>();
  const execute = (task: QueuedTask, channel: TaskHostChannel): Promise<unknown> => {
    if (!isTaskModuleName(task.module)) throw new Error(`unknown task module "${task.module}"`);
    const key = `${task.module}:${task.exportName}`;
    let runner = runners.get(key);
    if (!runner) {
      runner = localTaskRunner(task.module, task.exportName);
      runners.set(key, runner);
    }
    const job: JobContext = { id: key, signal: channel.signal, progress: () => {} };
    const run = runner.run(withDatabase(task.input, databaseUrl), job, (event) => channel.emit(event));
    channel.onCommand((command) => run.command(command));
    return run.done;
  };
  const close = async () => {
    await Promise.all([...runners.values()].map((runner) => runner.close()));
    runners.clear();
  };
  return { execute, close };
}

type WithLibrary = { library?: unknown };

function isLocation(value: unknown): value is LibraryLocation {
  return typeof value === 'object' && value !== null && 'dir' in value;
}

function withoutDatabase(input: unknown): unknown {
  const library = (input as WithLibrary)?.library;
  if (!isLocation(library) || !library.databaseUrl) return input;
  return { ...(input as object), library: { dir: library.dir } };
}

function withDatabase(input: unknown, databaseUrl: string | undefined): unknown {
  const library = (input as WithLibrary)?.library;
  if (!isLocation(library) || !databaseUrl) return input;
  return { ...(input as object), library: { ...library, databaseUrl } };
}
