// LoRA training on pairs a scorer chose (training.start with pairsBy): the library's two human-labeled pairs get
// stored scores from a scorer that disagrees with the humans; the run trains on the scorer's choices, reports
// what it used and skipped, records the source for a restart, and bad settings are refused at once.
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Library } from '../../main/services/library';
import { parseTrainingConfig } from '../../main/services/training/lora';
import { loadDataset } from '../../main/services/training/lora/dataset';
import { clipVocab, labeledLibrary, startTestApi, tinyModel, type TestApi } from './generate-helpers';

const SCORER = 'hps-v2:contrarian';
let t: TestApi;
/** Per prompt: the image the humans chose and the one they rejected. */
const human = new Map<string, { chosen: string; rejected: string }>();

/** Scores every comparison so that the image the humans rejected scores higher. */
async function contrarianScores(dir: string): Promise<void> {
  await labeledLibrary(dir);
  const library = await Library.open(dir);
  try {
    for (const judgment of await library.judgments.list()) {
      const comparison = await library.requireComparison(judgment.comparisonId);
      const chosen = comparison.images.find((i) => i.id === judgment.chosenImageId)!;
      const rejected = comparison.images.find((i) => i.id !== judgment.chosenImageId)!;
      human.set(comparison.prompt, {
        chosen: library.imagePath(chosen),
        rejected: library.imagePath(rejected),
      });
      for (const [image, score] of [
        [chosen, 0.1],
        [rejected, 0.6],
      ] as const)
        await library.scores.set({
          modelId: SCORER,
          imageId: image.id,
          promptId: comparison.promptId,
          score,
          cosine: null,
        });
    }
  } finally {
    await library.close();
  }
}

beforeAll(async () => {
  t = await startTestApi('hps-training-scorer-pairs-', contrarianScores);
}, 60_000);

afterAll(async () => {
  await t?.server.close();
  if (t) await rm(t.base, { recursive: true, force: true });
});

const tiny = { model: tinyModel, vocab: clipVocab, resolution: 32, lr: 1e-3, seed: 2 };

describe('training.start with pairs chosen by a scorer', () => {
  it('refuses a scorer without stored scores and a margin without a scorer', async () => {
    await expect(t.call('training.start', { ...tiny, steps: 1, pairsBy: 'hps-v1:none' })).rejects.toThrow(
      'no scores from hps-v1:none in this library: load that scorer (live readouts) and let it score the library first',
    );
    await expect(t.call('training.start', { ...tiny, steps: 1, minMargin: 0.1 })).rejects.toThrow(
      /minMargin applies to pairs chosen by a scorer/,
    );
    await expect(t.call('training.start', { ...tiny, steps: 1, pairsBy: '' })).rejects.toMatchObject({
      status: 400,
    });
  });

  it("the studio's settings build a dataset of the scorer's pairs, not the human labels", async () => {
    expect(human.size).toBe(2);
    const settings = { ...tiny, recipe: 'dpo' as const, steps: 1, pairsBy: SCORER, minMargin: 0.2 };
    const input = await t.app.training.loraInput(
      settings as Parameters<typeof t.app.training.loraInput>[0],
      'x',
    );
    expect(input.data).toEqual({ library: t.libraryDir, pairsBy: { scorer: SCORER, minMargin: 0.2 } });
    const dataset = await loadDataset(parseTrainingConfig(input), path.join(t.base, 'work'));
    const byPrompt = (a: { prompt: string }, b: { prompt: string }) => a.prompt.localeCompare(b.prompt);
    const trained = dataset.pairs.map((p) => ({
      prompt: p.chosen.caption,
      chosen: p.chosen.image,
      rejected: p.rejected.image,
    }));
    const flipped = [...human].map(([prompt, h]) => ({ prompt, chosen: h.rejected, rejected: h.chosen }));
    expect(trained.sort(byPrompt)).toEqual(flipped.sort(byPrompt));
  });

  it('trains on them, says what it used and skipped, and records the source for a restart', async () => {
    const started = await t.call('training.start', { ...tiny, steps: 2, pairsBy: SCORER, name: 'by-scorer' });
    const final = await t.next('job.progress', (j) => j.id === started.jobId && j.status !== 'running');
    expect(final.status).toBe('done');
    const messages = t.events
      .filter((e) => e.event === 'training.progress' && e.payload.jobId === started.jobId)
      .map((e) => (e.payload as { message?: string }).message);
    expect(messages).toContain(`2 comparisons paired by ${SCORER}; skipped 0 missing scores, 0 ties`);
    const run = (await t.call('training.runs')).runs.find((r: { name: string }) => r.name === 'by-scorer');
    expect(run).toMatchObject({ status: 'completed', step: 2, pairsBy: SCORER });
  }, 300_000);
});
