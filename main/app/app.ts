// The composition root: one App per library folder a process serves. It creates every stateful piece of the
// studio once — events, jobs, the library, the model manager, the loaded scorers, generation, training runs,
// imports — hands them to each other, and closes all of them in close(). Transports (Electron host, `serve`)
// and the CLI create one; nothing in main/ keeps state outside it.
import { homedir } from 'node:os';
import path from 'node:path';
import { JobRegistry } from '../services/jobs';
import { redactUrl } from '../common/redact';
import { Library, type LibraryLocation } from '../services/library';
import { ScoringQueue } from '../services/queue/scoring-queue';
import { RemoteTaskQueue } from '../services/queue/task-queue';
import { RemoteTaskRunner } from './tasks/remote-tasks';
import { localTaskRunner, type TaskModuleName } from './tasks/task-modules';
import type { TaskRunner } from './tasks/task-worker';
import type { Catalog } from '../services/model-store';
import { EventBus } from './event-bus';
import { Generation } from './generation/generation';
import { Labeling } from './labeling/labeling';
import { LibraryImports } from './library-imports';
import { LoadedScorers } from './loaded-scorers';
import { ModelManager } from './model-manager';
import { TrainingRuns } from './training-runs';

export interface AppInfo {
  version: string;
  mode: 'desktop' | 'serve';
  /** process.versions.electron when hosted by Electron. */
  electron: string | null;
}

export interface AppOptions {
  /** The library folder (images, SQLite database, trained LoRAs and scorers); created if missing. */
  libraryDir: string;
  /** The user data folder (Electron's userData, serve's --data): models live in `<dataDir>/models`. */
  dataDir?: string;
  info: AppInfo;
  /** Replaces models/catalog.json (tests point entries at a local server). */
  modelCatalog?: Catalog;
  /** postgres://…: the library's tables live there (a team server); the images stay in `libraryDir`. */
  databaseUrl?: string;
  /** redis://…: library scoring runs as queue chunks that `hps-studio worker`s take, instead of in this process. */
  queueUrl?: string;
  /** Redis key prefix of this deployment's queues (default hps-studio). */
  queuePrefix?: string;
}

/** Without a data folder: HPS_DATA_DIR, else ~/.hps-studio. */
export function defaultDataDir(): string {
  return process.env.HPS_DATA_DIR ?? path.join(homedir(), '.hps-studio');
}

export class App {
  readonly libraryDir: string;
  /** Where the library lives, as the worker threads and queue workers open it. Holds the database URL: never
   *  send it to a browser or print it (common/redact). */
  readonly location: LibraryLocation;
  readonly dataDir: string;
  /** The Redis queue that library scoring goes to, when the studio was started with one. */
  readonly scoringQueue: ScoringQueue | null;
  /** The Redis queue that generation and training tasks go to, with the scoring queue. */
  private readonly remoteTasks: RemoteTaskQueue | null;
  readonly info: AppInfo;
  readonly events = new EventBus();
  readonly jobs = new JobRegistry();
  readonly models: ModelManager;
  readonly scorers: LoadedScorers;
  readonly generation: Generation;
  readonly training: TrainingRuns;
  readonly imports: LibraryImports;
  readonly labeling: Labeling;
  private closing: Promise<void> | undefined;
  private closed = false;

  /** Use createApp(), which opens the library first (opening is async: PostgreSQL, migrations). */
  constructor(
    options: AppOptions,
    private readonly opened: Library,
    queues: { scoring: ScoringQueue; tasks: RemoteTaskQueue } | null = null,
  ) {
    this.libraryDir = opened.dir;
    this.location = { dir: opened.dir, databaseUrl: options.databaseUrl };
    this.scoringQueue = queues?.scoring ?? null;
    this.remoteTasks = queues?.tasks ?? null;
    this.dataDir = path.resolve(options.dataDir ?? defaultDataDir());
    this.info = options.info;
    this.jobs.onChange((job) => this.events.emit('job.progress', job));
    this.models = new ModelManager({
      dataDir: this.dataDir,
      jobs: this.jobs,
      events: this.events,
      catalog: options.modelCatalog,
    });
    this.scorers = new LoadedScorers(this);
    this.generation = new Generation(this);
    this.training = new TrainingRuns(this);
    this.imports = new LibraryImports(this);
    this.labeling = new Labeling(this);
  }

  /** Where a task module's requests run: a worker thread of this process, or the queue's worker hosts. */
  taskRunner(module: TaskModuleName, exportName: string): TaskRunner {
    return this.remoteTasks
      ? new RemoteTaskRunner(this.remoteTasks, module, exportName)
      : localTaskRunner(module, exportName);
  }

  /** This app's own connection to the library (two apps on one folder never share it). */
  get library(): Library {
    if (this.closed) throw new Error('the studio is closed');
    return this.opened;
  }

  /**
   * Shutdown (the server closing, `serve` on SIGINT/SIGTERM, Electron's engine host on quit, a CLI command
   * ending): loaded scorers unloaded, downloads paused, every other running job cancelled and awaited (a LoRA
   * run saves its checkpoint), the worker threads stopped, then the library closed. Safe to call more than once.
   */
  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    await this.scorers.close();
    await this.models.close();
    await this.jobs.cancelAll();
    await Promise.allSettled([this.generation.close(), this.training.close()]);
    await this.scoringQueue?.close();
    await this.remoteTasks?.close();
    this.closed = true;
    await this.opened.close();
  }
}

/**
 * Opens the library, then builds the studio around it. The library opens here rather than on first use because
 * opening is async: a synchronous `app.library` keeps every use case free of an extra await.
 */
export async function createApp(options: AppOptions): Promise<App> {
  const library = await Library.open(path.resolve(options.libraryDir), { databaseUrl: options.databaseUrl });
  let queues: { scoring: ScoringQueue; tasks: RemoteTaskQueue } | null = null;
  try {
    if (options.queueUrl && !options.databaseUrl)
      throw new Error('a queue needs a PostgreSQL library (--database): the workers write into it');
    if (options.queueUrl) queues = await connectQueues(options.queueUrl, options.queuePrefix);
    return new App(options, library, queues);
  } catch (error) {
    await queues?.scoring.close();
    await queues?.tasks.close();
    await library.close();
    throw error;
  }
}

/** How long the studio waits for Redis at start before saying it cannot reach it. */
const QUEUE_CONNECT_MS = 15_000;

async function connectQueues(url: string, prefix: string | undefined) {
  let lastError = '';
  const onError = (message: string) => (lastError = message);
  const queues = {
    scoring: new ScoringQueue(url, prefix, onError),
    tasks: new RemoteTaskQueue(url, prefix, onError),
  };
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(new Error(`cannot reach the queue at ${redactUrl(url)}${lastError ? `: ${lastError}` : ''}`)),
      QUEUE_CONNECT_MS,
    );
  });
  try {
    await Promise.race([Promise.all([queues.scoring.ready(), queues.tasks.ready()]), timeout]);
    return queues;
  } catch (error) {
    await Promise.allSettled([queues.scoring.close(), queues.tasks.close()]);
    throw error;
  } finally {
    clearTimeout(timer);
  }
}
