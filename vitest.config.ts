import { defineConfig } from 'vitest/config';

/** The library suite, which runs once per backend: embedded SQLite and PostgreSQL. */
const LIBRARY_SUITE = [
  'tests/library/backend.test.ts',
  'tests/library/judgments.test.ts',
  'tests/library/curation.test.ts',
  'tests/library/import.test.ts',
  'tests/library/export.test.ts',
];

const shared = {
  // onnxruntime-node and better-sqlite3 are native addons: separate processes are safer than threads.
  pool: 'forks',
  testTimeout: 180_000,
  hookTimeout: 180_000,
  // expect.poll waits on background jobs and events; its 1 s default flips under load on 2 cores.
  expect: { poll: { timeout: 30_000 } },
} as const;

export default defineConfig({
  test: {
    // A throwaway PostgreSQL and Redis on loopback for the team-server suites, shared by both projects.
    globalSetup: ['tests/support/global-services.ts'],
    maxWorkers: 2,
    projects: [
      // Everything, with test libraries on SQLite (the desktop default).
      {
        test: {
          ...shared,
          name: 'sqlite',
          include: ['tests/**/*.test.ts', 'tests/**/*.test.tsx'],
          provide: { libraryBackend: 'sqlite' },
        },
      },
      // The library suite again, each library in a fresh PostgreSQL database (tests/library/open-library.ts).
      {
        test: {
          ...shared,
          name: 'postgres',
          include: LIBRARY_SUITE,
          provide: { libraryBackend: 'postgres' },
        },
      },
    ],
  },
});
