// What every handler receives. Long-lived services are created once per process (createApiServices);
// `auth` is filled in per request by the transport.
import { EventBus } from './event-bus';
import { JobRegistry } from '../services/jobs';

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
  jobs: JobRegistry;
  events: EventBus;
  app: AppInfo;
}

export interface ApiContext extends ApiServices {
  auth: AuthInfo;
}

export function createApiServices(options: { libraryDir: string; app: AppInfo }): ApiServices {
  const events = new EventBus();
  const jobs = new JobRegistry();
  jobs.onChange((job) => events.emit('job.progress', job));
  return { libraryDir: options.libraryDir, jobs, events, app: options.app };
}
