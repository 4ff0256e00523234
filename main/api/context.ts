// What every handler receives. Long-lived services are created once per process (createApiServices);
// `auth` is filled in per request by the transport.
import { homedir } from 'node:os';
import { join } from 'node:path';
import { EventBus } from './event-bus';
import { ModelsService } from './models-service';
import { JobRegistry } from '../services/jobs';
import type { Catalog } from '../services/models';

/** Who is calling. Local desktop/browser use is the owner; team mode (issue 5) adds annotator tokens. */
/** An admin's token in team mode is the owner with an annotator id (their labels are their own). */
export type AuthInfo = { role: 'owner'; annotatorId?: string } | { role: 'annotator'; annotatorId: string };

export const OWNER: AuthInfo = { role: 'owner' };

export interface AppInfo {
  version: string;
  mode: 'desktop' | 'serve';
  /** process.versions.electron when hosted by Electron. */
  electron: string | null;
}

export interface ApiServices {
  /** Absolute path of the library folder (images, SQLite database, user models). */
  libraryDir: string;
  /** The user data folder (Electron's userData, serve's --data): models live in `<dataDir>/models`. */
  dataDir: string;
  models: ModelsService;
  jobs: JobRegistry;
  events: EventBus;
  app: AppInfo;
}

export interface ApiContext extends ApiServices {
  auth: AuthInfo;
}

/** Without a data folder: HPS_DATA_DIR, else ~/.hps-studio. */
export function defaultDataDir(): string {
  return process.env.HPS_DATA_DIR ?? join(homedir(), '.hps-studio');
}

export function createApiServices(options: {
  libraryDir: string;
  app: AppInfo;
  dataDir?: string;
  /** Replaces models/catalog.json (tests point entries at a local server). */
  modelCatalog?: Catalog;
}): ApiServices {
  const events = new EventBus();
  const jobs = new JobRegistry();
  jobs.onChange((job) => events.emit('job.progress', job));
  const dataDir = options.dataDir ?? defaultDataDir();
  const models = new ModelsService({ dataDir, jobs, events, catalog: options.modelCatalog });
  return { libraryDir: options.libraryDir, dataDir, models, jobs, events, app: options.app };
}
