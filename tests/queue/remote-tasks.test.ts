// Generation and LoRA training on the Redis queue: a studio started with a queue sends each task to a worker
// host, which runs the same task module in a worker thread of its own. Previews, progress and training losses
// come back as the same events, pause and resume reach the host, generated images land in the shared library
// folder with the same pixels as in-process, and a cancel stops the task on the host.
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { existsSync } from 'node:fs';
import { createApi } from '../../main/api';
import { createApp, type App } from '../../main/app/app';
import { OWNER } from '../../main/app/caller';
import { importPairs } from '../../main/services/library';
import { taskExecutor } from '../../main/app/tasks/remote-tasks';
import type { EventMessage } from '../../main/contract';
import { TaskQueueHost } from '../../main/services/queue/task-queue';
import { clipVocab, labeledPairs, TINY_GENERATE, tinyModel } from '../api/generate-helpers';
import { createDatabase } from '../support/servers';

const settings = { ...TINY_GENERATE, loras: [], ep: 'cpu' as const };

let base: string;
let queued: App;
let local: App;
let host: TaskQueueHost;
let executor: ReturnType<typeof taskExecutor>;
const events: EventMessage[] = [];
const hostLog: string[] = [];

beforeAll(async () => {
  base = await mkdtemp(path.join(tmpdir(), 'hps-remote-tasks-'));
  const databaseUrl = await createDatabase(inject('postgresAdminUrl'));
  const queuePrefix = `hps-tasks-${randomBytes(4).toString('hex')}`;
  const info = { version: 'test', mode: 'serve' as const, electron: null };
  queued = await createApp({
    libraryDir: path.join(base, 'shared-library'),
    dataDir: path.join(base, 'server-data'),
    info,
    databaseUrl,
    queueUrl: inject('redisUrl'),
    queuePrefix,
  });
  queued.events.subscribe((message) => events.push(message));
  executor = taskExecutor(databaseUrl);
  host = new TaskQueueHost(inject('redisUrl'), executor.execute, {
    prefix: queuePrefix,
    log: (line) => hostLog.push(line),
  });
  await host.ready();
  local = await createApp({
    libraryDir: path.join(base, 'local'),
    dataDir: path.join(base, 'local-data'),
    info,
  });
}, 120_000);

afterAll(async () => {
  await queued?.close();
  await local?.close();
  await host?.close();
  await executor?.close();
  await rm(base, { recursive: true, force: true });
});

/** Whether the run reported this phase (training, paused, …) yet. */
const reached = (jobId: string, phase: string) =>
  events.some(
    (m) => m.event === 'training.progress' && m.payload.jobId === jobId && m.payload.phase === phase,
  );

describe('tasks on the queue', () => {
  it('runs on the worker host with previews and progress, and the same pixels as in-process', async () => {
    const remote = queued.generation.start(settings);
    const batch = await remote.done;
    expect(batch.images.map((image) => image.seed)).toEqual([11, 12]);
    expect(hostLog.some((line) => line.includes('generate-task.generate') && line.includes('started'))).toBe(
      true,
    );
    const previews = events.filter((m) => m.event === 'generate.preview' && m.payload.jobId === remote.jobId);
    expect(previews.length).toBeGreaterThan(0);
    expect(
      events.some(
        (m) =>
          m.event === 'job.progress' &&
          m.payload.id === remote.jobId &&
          m.payload.progress > 0 &&
          m.payload.progress < 1,
      ),
    ).toBe(true);

    const same = await local.generation.start(settings).done;
    for (const [i, image] of batch.images.entries()) {
      const [a, b] = await Promise.all([
        readFile(path.join(queued.libraryDir, image.path)),
        readFile(path.join(local.libraryDir, same.images[i]!.path)),
      ]);
      expect(a.equals(b)).toBe(true);
    }
  });

  it('trains a LoRA from the PostgreSQL library on the host, with progress and pause/resume', async () => {
    await importPairs(queued.library, await labeledPairs(path.join(base, 'pairs')));
    const api = createApi(queued);
    const started = (await api.call(
      'training.start',
      {
        model: tinyModel,
        vocab: clipVocab,
        resolution: 32,
        lr: 1e-3,
        seed: 2,
        steps: 6,
        checkpointEvery: 3,
        name: 'queued',
      },
      OWNER,
    )) as { jobId: string; output: string };
    await expect.poll(() => reached(started.jobId, 'training')).toBe(true);
    expect(await api.call('training.pause', { jobId: started.jobId }, OWNER)).toEqual({ paused: true });
    await expect.poll(() => reached(started.jobId, 'paused')).toBe(true);
    expect(await api.call('training.resume', { jobId: started.jobId }, OWNER)).toEqual({ resumed: true });
    await expect.poll(() => queued.jobs.get(started.jobId)?.status, { timeout: 120_000 }).toBe('done');
    const steps = events
      .filter(
        (m) =>
          m.event === 'training.progress' &&
          m.payload.jobId === started.jobId &&
          m.payload.phase === 'training',
      )
      .map((m) => (m.payload as { step: number }).step);
    expect(steps).toEqual([1, 2, 3, 4, 5, 6]);
    expect(existsSync(started.output)).toBe(true);
    expect(hostLog.some((line) => line.includes('(training-task.train)') && line.includes('started'))).toBe(
      true,
    );
  });

  it('cancels a running task on the host', async () => {
    const remote = queued.generation.start({ ...settings, steps: 400, batch: 1, seed: 3 });
    await expect
      .poll(() => events.some((m) => m.event === 'generate.preview' && m.payload.jobId === remote.jobId))
      .toBe(true);
    expect(queued.jobs.cancel(remote.jobId)).toBe(true);
    await expect(remote.done).rejects.toThrow();
    expect(queued.jobs.get(remote.jobId)?.status).toBe('cancelled');
    await expect
      .poll(() => hostLog.some((line) => /task \S+ failed: the task was cancelled/.test(line)))
      .toBe(true);
  });
});
