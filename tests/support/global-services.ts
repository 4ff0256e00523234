// Vitest global setup: one throwaway PostgreSQL and one Redis for the whole run (tests/support/servers.ts).
// Each test file makes its own database (createDatabase) and queue prefix, so files stay independent.
import type { TestProject } from 'vitest/node';
import { startPostgres, startRedis, type RunningServer } from './servers';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresAdminUrl: string;
    redisUrl: string;
    /** The backend tests/library/open-library.ts opens test libraries on. */
    libraryBackend: 'sqlite' | 'postgres';
  }
}

export default async function setup(project: TestProject) {
  const servers: RunningServer[] = [];
  const postgres = await startPostgres();
  servers.push(postgres);
  const redis = await startRedis();
  servers.push(redis);
  project.provide('postgresAdminUrl', postgres.url);
  project.provide('redisUrl', redis.url);
  return async () => {
    await Promise.all(servers.map((server) => server.stop()));
  };
}
