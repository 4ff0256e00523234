import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts', 'tests/**/*.test.tsx'],
    // onnxruntime-node and better-sqlite3 are native addons: separate processes are safer than threads.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 180_000,
    hookTimeout: 180_000,
    // expect.poll waits on background jobs and events; its 1 s default flips under load on 2 cores.
    expect: { poll: { timeout: 30_000 } },
  },
});
