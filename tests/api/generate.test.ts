// The generate calls over HTTP with the tiny SD fixture: a batch with step previews and job progress, its
// images and seeds on disk, cancel mid-sampling, "send to labeling" creating a library comparison, and a chip
// per image from every loaded scorer (the same number the library's background scoring then stores).
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallOutput, EventPayload } from '../../main/api';
import { loadStateDict, toFloat32, writeSafetensors, type TensorSource } from '../../main/checkpoints';
import {
  clipVocab,
  repoRoot,
  startTestApi,
  tinyModel,
  type TestApi,
  TINY_GENERATE,
} from './generate-helpers';

const clipFixtures = path.resolve(repoRoot, '../shared/fixtures/clip');

type Batch = CallOutput<'generate.batch'>;

let t: TestApi;
const settings = TINY_GENERATE;

beforeAll(async () => {
  t = await startTestApi('hps-generate-api-');
});

afterAll(async () => {
  await t?.server.close();
  if (t) await rm(t.base, { recursive: true, force: true });
});

describe('generate API over HTTP', () => {
  let batchId: string;

  it('generates a batch with previews, progress and seeds', async () => {
    const started = await t.call('generate.start', settings);
    const done = await t.next('generate.done', (b) => b.batchId === started.batchId);
    batchId = started.batchId;
    expect(done.jobId).toBe(started.jobId);
    expect(done.images.map((i) => i.seed)).toEqual([11, 12]);
    // No scorer loaded: no chips to wait for (the view shows a hint instead).
    expect(done.scorers).toEqual([]);
    for (const image of done.images) {
      const meta = await sharp(path.join(t.libraryDir, image.path)).metadata();
      expect([meta.width, meta.height]).toEqual([32, 32]);
      expect(image.scores).toEqual({});
    }
    const previews = t.events
      .filter((e) => e.event === 'generate.preview' && e.payload.jobId === started.jobId)
      .map((e) => e.payload as { step: number; dataUrl: string });
    expect(previews.length).toBeGreaterThanOrEqual(1);
    expect(previews.every((p) => p.dataUrl.startsWith('data:image/png;base64,'))).toBe(true);
    const progress = t.events.filter((e) => e.event === 'job.progress' && e.payload.id === started.jobId);
    expect(progress.at(-1)?.payload).toMatchObject({ status: 'done', progress: 1 });
    expect(progress.some((e) => e.event === 'job.progress' && e.payload.message.startsWith('step'))).toBe(
      true,
    );
    expect(await t.call('generate.batch', { batchId })).toMatchObject({ batchId, comparisonId: null });
  }, 300_000);

  it('cancels between steps', async () => {
    const started = await t.call('generate.start', { ...settings, steps: 400, batch: 1, seed: 3 });
    await t.next('generate.preview', (p) => p.jobId === started.jobId);
    expect(await t.call('jobs.cancel', { id: started.jobId })).toEqual({ cancelled: true });
    const final = await t.next('job.progress', (j) => j.id === started.jobId && j.status !== 'running');
    expect(final.status).toBe('cancelled');
    expect(existsSync(path.join(t.libraryDir, 'generated', started.batchId, 'batch.json'))).toBe(false);
    await expect(t.call('generate.batch', { batchId: started.batchId })).rejects.toMatchObject({
      status: 404,
    });
  }, 300_000);

  it('sends a batch to labeling as one comparison', async () => {
    const before = (await t.app.library.stats()).comparisons;
    const sent = await t.call('generate.sendToLabeling', { batchId });
    expect(sent.created).toBe(true);
    const comparison = (await t.app.library.getComparison(sent.comparisonId))!;
    expect(comparison.images).toHaveLength(2);
    expect((await t.app.library.stats()).comparisons).toBe(before + 1);
    expect((await t.call('generate.batch', { batchId })).comparisonId).toBe(sent.comparisonId);
    // Sending again finds the same comparison instead of duplicating it.
    expect(await t.call('generate.sendToLabeling', { batchId })).toEqual({
      comparisonId: sent.comparisonId,
      created: false,
    });
  });

  it('sends A/B pairs to labeling, one comparison per pair', async () => {
    const batch = await t.call('generate.batch', { batchId });
    const [a, b] = batch.images.map((i: { path: string }) => ({ batchId, path: i.path }));
    const { comparisonIds } = await t.call('generate.sendPairs', { pairs: [{ base: a, adapted: b }] });
    expect(comparisonIds).toHaveLength(1);
    const comparison = (await t.app.library.getComparison(comparisonIds[0]))!;
    expect(comparison.prompt).toBe(settings.prompt);
    expect(comparison.images).toHaveLength(2);
    await expect(
      t.call('generate.sendPairs', { pairs: [{ base: a, adapted: { batchId, path: 'generated/x.png' } }] }),
    ).rejects.toMatchObject({ status: 400 });
  });

  it('applies a LoRA as feeds', async () => {
    const lora = path.join(path.dirname(tinyModel), 'lora-tiny-kohya.safetensors');
    const run = async (extra: object) => {
      const { batchId: id } = await t.call('generate.start', { ...settings, batch: 1, ...extra });
      return t.next('generate.done', (b) => b.batchId === id);
    };
    const plain = await run({});
    const adapted = await run({ loras: [{ file: lora, scale: 1 }] });
    const off = await run({ loras: [{ file: lora, scale: 0 }] });
    const pixels = async (b: typeof plain) =>
      sharp(path.join(t.libraryDir, b.images[0]!.path)).raw().toBuffer();
    // Scale 0 is the base model exactly; scale 1 changes the image.
    expect((await pixels(off)).equals(await pixels(plain))).toBe(true);
    expect((await pixels(adapted)).equals(await pixels(plain))).toBe(false);
    expect(adapted.loraWarnings).toEqual([]);

    // A module the pipeline cannot apply (a 3×3 LoCon) is named on the batch; the rest still applies.
    const withLocon = path.join(t.base, 'with-locon.safetensors');
    await writeWithLocon(lora, withLocon, 'down_blocks.0.resnets.0.conv1', 32);
    const partial = await run({ loras: [{ file: withLocon, scale: 1 }] });
    expect(partial.loraWarnings).toEqual([
      'with-locon.safetensors: 1 target not applied, e.g. unet.down_blocks.0.resnets.0.conv1 (3×3 convolution LoRA (LoCon) is not applied)',
    ]);
    expect((await pixels(partial)).equals(await pixels(adapted))).toBe(true);
    expect((await t.call('generate.batch', { batchId: partial.batchId })).loraWarnings).toEqual(
      partial.loraWarnings,
    );
  }, 300_000);

  it('gives every image a chip from every loaded scorer, HPS v2 first, live and in the batch', async () => {
    for (const file of ['hps_v1_tiny.pt', 'hps_v2_tiny.pt'])
      await t.call('scorers.load', {
        path: path.join(clipFixtures, file),
        vocab: clipVocab,
        scoreLibrary: false,
      });
    const started = await t.call('generate.start', { ...settings, seed: 21 });
    const scored = new Map<string, EventPayload<'generate.scored'>>();
    const bothScored = new Promise<void>((resolve) => {
      const off = t.app.events.subscribe((m) => {
        if (m.event !== 'generate.scored' || m.payload.batchId !== started.batchId) return;
        scored.set(m.payload.scorerId, m.payload);
        if (scored.size < 2) return;
        off();
        resolve();
      });
    });
    const done = await t.next('generate.done', (b) => b.batchId === started.batchId);
    expect(done.scorers).toEqual(['hps_v2_tiny', 'hps_v1_tiny']);
    await bothScored;
    const batch: Batch = await t.call('generate.batch', { batchId: started.batchId });
    expect(batch.scoreErrors).toEqual({});
    for (const scorerId of done.scorers) {
      const event = scored.get(scorerId)!;
      expect(event.error).toBeUndefined();
      expect(event.scores.map((s) => s.path)).toEqual(done.images.map((i) => i.path));
      for (const [i, image] of batch.images.entries()) {
        expect(Number.isFinite(image.scores[scorerId])).toBe(true);
        expect(image.scores[scorerId]).toBe(event.scores[i]!.score);
      }
    }
    // The two models disagree (different towers), so each chip is its own scorer's.
    expect(batch.images[0]!.scores.hps_v1_tiny).not.toBe(batch.images[0]!.scores.hps_v2_tiny);

    // Sent to labeling, the library's background job scores the same (image, prompt) pairs: the same numbers.
    const { comparisonId } = await t.call('generate.sendToLabeling', { batchId: started.batchId });
    const library = t.app.library;
    const comparison = (await library.getComparison(comparisonId))!;
    const stored = async () =>
      (await library.scores.list({ promptId: comparison.promptId })).filter((s) =>
        comparison.images.some((image) => image.id === s.imageId),
      );
    await expect.poll(async () => (await stored()).length, { timeout: 60_000 }).toBe(4);
    for (const s of await stored()) {
      const position = comparison.images.findIndex((image) => image.id === s.imageId);
      expect(s.score).toBeCloseTo(batch.images[position]!.scores[s.modelId]!, 4);
    }
    expect((await t.call('generate.batch', { batchId: started.batchId })).images).toEqual(batch.images);
    for (const id of done.scorers) await t.call('scorers.unload', { id });
  }, 300_000);

  it('reads a batch written before the loaded scorers gave the chips (one scorer, in the settings too)', async () => {
    const legacy = {
      batchId: 'legacy-1',
      jobId: 'j',
      settings: {
        ...settings,
        loras: [],
        ep: 'cpu',
        scorer: { kind: 'hps-v2', model: 'm.pt', vocab: 'v.gz' },
      },
      images: [{ path: 'generated/legacy-1/0-seed11.png', seed: 11, score: 21.5 }],
      scorer: 'hps-v2',
      seconds: 1,
      comparisonId: null,
    };
    const dir = path.join(t.libraryDir, 'generated', 'legacy-1');
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'batch.json'), JSON.stringify(legacy));
    const batch = await t.call('generate.batch', { batchId: 'legacy-1' });
    expect(batch).toEqual({
      ...legacy,
      settings: { ...settings, loras: [], ep: 'cpu' },
      images: [{ path: 'generated/legacy-1/0-seed11.png', seed: 11, scores: {} }],
      scorer: undefined,
      scorers: [],
      scoreErrors: {},
      loraWarnings: [],
    });
  });

  it('refuses bad input with clear errors', async () => {
    await expect(t.call('generate.start', { ...settings, prompt: '  ' })).rejects.toMatchObject({
      status: 400,
    });
    await expect(t.call('generate.batch', { batchId: '../x' })).rejects.toMatchObject({ status: 400 });
  });
});

/** The kohya file plus a rank-2 LoRA on a 3×3 convolution of `channels` in and out (a LoCon module). */
async function writeWithLocon(source: string, file: string, conv: string, channels: number): Promise<void> {
  const state = await loadStateDict(source);
  const tensors = new Map<string, TensorSource>();
  try {
    for (const [name, t] of state.tensors)
      tensors.set(name, { dtype: 'F32', shape: [...t.shape], data: toFloat32(t.dtype, await t.read()) });
  } finally {
    await state.close();
  }
  const key = `lora_unet_${conv.replaceAll('.', '_')}`;
  const down = new Float32Array(2 * channels * 9).fill(0.01);
  tensors.set(`${key}.lora_down.weight`, { dtype: 'F32', shape: [2, channels, 3, 3], data: down });
  tensors.set(`${key}.lora_up.weight`, {
    dtype: 'F32',
    shape: [channels, 2, 1, 1],
    data: new Float32Array(channels * 2).fill(0.01),
  });
  await writeSafetensors(file, tensors);
}
