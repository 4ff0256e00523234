// The training calls over HTTP: a tiny HPS-recipe LoRA run on sd-tiny from a small labeled library, with
// training.progress events, pause/resume, a finished run in the history and its kohya output on disk; a
// cancelled run restarts from its checkpoint.
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSafetensors } from '../../main/checkpoints';
import { clipVocab, labeledLibrary, startTestApi, tinyModel, type TestApi } from './generate-helpers';

let t: TestApi;

const tiny = { model: tinyModel, vocab: clipVocab, resolution: 32, lr: 1e-3, seed: 2 };

beforeAll(async () => {
  t = await startTestApi('hps-training-api-', labeledLibrary);
}, 60_000);

afterAll(async () => {
  await t?.server.close();
  if (t) await rm(t.base, { recursive: true, force: true });
});

describe('training API over HTTP', () => {
  it('trains a LoRA from the library in one call, with progress, pause/resume and history', async () => {
    const started = await t.call('training.start', {
      ...tiny,
      steps: 6,
      checkpointEvery: 3,
      name: 'one-click',
    });
    expect(started.output).toBe(path.join(t.libraryDir, 'loras', 'one-click.safetensors'));
    await t.next('training.progress', (p) => p.jobId === started.jobId && p.phase === 'training');
    expect(await t.call('training.pause', { jobId: started.jobId })).toEqual({ paused: true });
    await t.next('training.progress', (p) => p.jobId === started.jobId && p.phase === 'paused');
    const live = (await t.call('training.live')).runs.find(
      (r: { jobId: string }) => r.jobId === started.jobId,
    );
    expect(live.paused).toBe(true);
    expect(await t.call('training.resume', { jobId: started.jobId })).toEqual({ resumed: true });
    const final = await t.next('job.progress', (j) => j.id === started.jobId && j.status !== 'running');
    expect(final.status).toBe('done');

    const steps = t.events
      .filter((e) => e.event === 'training.progress' && e.payload.jobId === started.jobId)
      .map((e) => e.payload as { phase: string; step: number; loss?: number; etaSeconds?: number });
    const training = steps.filter((s) => s.phase === 'training');
    expect(training.map((s) => s.step)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(training.every((s) => Number.isFinite(s.loss) && s.etaSeconds! >= 0)).toBe(true);
    expect(steps.some((s) => s.phase === 'saving')).toBe(true);

    const [run] = (await t.call('training.runs')).runs;
    expect(run).toMatchObject({
      status: 'completed',
      step: 6,
      totalSteps: 6,
      name: 'one-click',
      recipe: 'hps',
    });
    const lora = await openSafetensors(started.output);
    try {
      expect(lora.metadata.ss_network_dim).toBe('4');
      expect(lora.names().some((n) => n.startsWith('lora_unet_'))).toBe(true);
    } finally {
      await lora.close();
    }
  }, 600_000);

  it('a cancelled run restarts from its checkpoint', async () => {
    const started = await t.call('training.start', {
      ...tiny,
      steps: 200,
      checkpointEvery: 2,
      name: 'restart',
    });
    await t.next(
      'training.progress',
      (p) => p.jobId === started.jobId && p.phase === 'training' && p.step >= 3,
    );
    await t.call('jobs.cancel', { id: started.jobId });
    const stopped = await t.next('job.progress', (j) => j.id === started.jobId && j.status !== 'running');
    expect(stopped.status).toBe('cancelled');
    const run = (await t.call('training.runs')).runs.find((r: { name: string }) => r.name === 'restart');
    expect(run.status).toBe('cancelled');
    const again = await t.call('training.restart', { runId: run.id });
    const first = await t.next('training.progress', (p) => p.jobId === again.jobId && p.phase === 'training');
    expect(first.step).toBeGreaterThan(2);
    await t.call('jobs.cancel', { id: again.jobId });
    await t.next('job.progress', (j) => j.id === again.jobId && j.status !== 'running');
  }, 600_000);
});
