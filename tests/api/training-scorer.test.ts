// Scorer fine-tuning over HTTP: hps_v1_tiny on a synthetic library whose preferred image is the brighter one
// (tests/preference/synthetic.ts); the job reports steps and a held-out before/after report under both tie
// conventions, writes a scorer file, and that scorer orders the unlabeled comparisons for "label next".
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture, VOCAB } from '../models/clip-fixtures';
import { syntheticLibrary } from '../preference/synthetic';
import { startTestApi, type TestApi } from './generate-helpers';

let t: TestApi;
let trainedScorer: string;

beforeAll(async () => {
  t = await startTestApi('hps-scorer-api-', async (dir) => {
    const library = await syntheticLibrary(dir, { prompts: 10, comparisonsPerPrompt: 3, unlabelled: 3 });
    await library.close();
  });
}, 120_000);

afterAll(async () => {
  await t?.server.close();
  if (t) await rm(t.base, { recursive: true, force: true });
});

describe('scorer training API over HTTP', () => {
  it('trains, reports held-out accuracy before/after, saves a scorer and ranks label-next', async () => {
    const started = await t.call('training.scorerStart', {
      kind: 'hps-v1',
      base: fixture('hps_v1_tiny.pt'),
      vocab: VOCAB,
      steps: 15,
      lr: 1e-3,
      seed: 3,
      testFraction: 0.3,
      name: 'brightness',
    });
    expect(started.output).toBe(path.join(t.libraryDir, 'scorers', 'brightness.safetensors'));
    trainedScorer = started.output;
    const report = await t.next('training.scorerDone', (r) => r.jobId === started.jobId);
    const steps = t.events.filter(
      (e) => e.event === 'training.scorerStep' && e.payload.jobId === started.jobId,
    );
    expect(steps).toHaveLength(15);
    expect(report.losses).toHaveLength(15);
    expect(report.testComparisons).toBe(9);
    for (const side of [report.before, report.after]) {
      expect(side.dropTies.convention).toBe('drop-ties');
      expect(side.halfCredit.convention).toBe('half-credit');
      expect(side.dropTies.n).toBeGreaterThan(0);
    }
    // The lift itself is the service's test (tests/preference); on this small set the base may already agree.
    expect(report.after.dropTies.accuracy!).toBeGreaterThanOrEqual(0.9);
    expect(report.after.dropTies.interval).not.toBeNull();
    expect(existsSync(started.output)).toBe(true);
    // Registered in place as a local model (the Models page), detected as a trained scorer.
    let local: { path: string; detected: { kind: string } }[] = [];
    for (let i = 0; i < 50 && local.length === 0; i++) {
      local = (await t.call('models.catalog')).local;
      if (local.length === 0) await new Promise((r) => setTimeout(r, 200));
    }
    expect(local.map((m) => [m.path, m.detected.kind])).toEqual([[started.output, 'trained-scorer']]);

    // The held-out report travels in the scorer's header: the Evaluate view lists it.
    const { scorers: heldOut } = await t.call('evaluation.heldOut');
    expect(heldOut).toHaveLength(1);
    expect(heldOut[0]).toMatchObject({
      id: 'brightness',
      kind: 'hps-v1',
      base: 'hps_v1_tiny.pt',
      testComparisons: report.testComparisons,
      after: report.after,
      before: report.before,
    });

    const { queue } = await t.call('training.labelNext', {
      source: 'uncertainty',
      kind: 'hps-v1',
      model: started.output,
      vocab: VOCAB,
      limit: 10,
    });
    expect(queue).toHaveLength(3);
    const priorities = queue.map((q: { priority: number }) => q.priority);
    expect(priorities).toEqual([...priorities].sort((a, b) => b - a));
    expect(queue.every((q: { prompt: string }) => q.prompt.length > 0)).toBe(true);
  }, 600_000);

  it('loads the trained scorer for live readouts under its base kind, and it scores the library', async () => {
    await expect(
      t.call('scorers.load', { kind: 'hps-v2', path: trainedScorer, vocab: VOCAB }),
    ).rejects.toThrow(/a trained hps-v1 scorer, not hps-v2/);
    const { scorer } = await t.call('scorers.load', { path: trainedScorer, vocab: VOCAB });
    expect(scorer).toMatchObject({ id: 'brightness', kind: 'hps-v1' });
    await expect
      .poll(async () => (await t.call('scorers.list')).scorers[0].jobId, { timeout: 120_000, interval: 100 })
      .toBeNull();
    const library = t.app.library;
    const pairs = new Set(
      (await library.listComparisons({})).flatMap((c) => c.images.map((image) => `${image.id}/${c.prompt}`)),
    );
    const scores = await library.scores.list({ modelId: 'brightness' });
    expect(scores).toHaveLength(pairs.size);
    expect(scores.every((s) => Number.isFinite(s.score) && s.cosine !== null)).toBe(true);
    expect((await t.call('library.status')).scorers).toContain('brightness');
  }, 300_000);

  it('ranks label-next by the disagreement of the scores the loaded scorers stored', async () => {
    await expect(
      t.call('training.labelNext', { source: 'disagreement', scorers: ['brightness'] }),
    ).rejects.toThrow(/pick at least 2 scorers/);
    await expect(
      t.call('training.labelNext', { source: 'disagreement', scorers: ['brightness', 'hps_v1_tiny'] }),
    ).rejects.toThrow(/no scores from hps_v1_tiny/);
    await t.call('scorers.load', { kind: 'hps-v1', path: fixture('hps_v1_tiny.pt'), vocab: VOCAB });
    await expect
      .poll(async () => (await t.call('scorers.list')).scorers.every((s: { jobId: unknown }) => !s.jobId), {
        timeout: 120_000,
        interval: 100,
      })
      .toBe(true);
    const { queue, unscored } = await t.call('training.labelNext', {
      source: 'disagreement',
      scorers: ['brightness', 'hps_v1_tiny'],
    });
    expect(unscored).toBe(0);
    const unlabeled = await t.app.library.listComparisons({ state: 'unlabeled' });
    expect(new Set(queue.map((q: { comparisonId: number }) => q.comparisonId))).toEqual(
      new Set(unlabeled.map((c) => c.id)),
    );
    const priorities = queue.map((q: { priority: number }) => q.priority);
    expect(priorities).toEqual([...priorities].sort((a, b) => b - a));
  }, 300_000);
});
