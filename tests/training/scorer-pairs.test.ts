// Training pairs chosen by a scorer: per comparison the best-scored image over the worst (scores stored under
// the comparison's prompt), excluded comparisons, missing scores, exact ties and a minimum margin skipped,
// human judgments ignored; clear errors for a scorer without scores and for no pairs at all.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { Library, type ImageRecord } from '../../main/services/library';
import { parseTrainingConfig } from '../../main/services/training/lora/config';
import { loadDataset } from '../../main/services/training/lora/dataset';
import { scorerPairs } from '../../main/services/training/lora/pairs';

const dir = path.join(mkdtempSync(path.join(tmpdir(), 'hps-scorer-pairs-')), 'library');
let img: ImageRecord[];
let file: (image: ImageRecord) => string;

async function solid(library: Library, shade: number): Promise<ImageRecord> {
  const bytes = await sharp({
    create: { width: 8, height: 8, channels: 3, background: { r: shade, g: 255 - shade, b: 40 } },
  })
    .png()
    .toBuffer();
  return (await library.addImage(bytes)).image;
}

beforeAll(async () => {
  const library = await Library.open(dir);
  try {
    img = [];
    for (let i = 0; i < 9; i++) img.push(await solid(library, 20 * i));
    const comparison = async (prompt: string, images: ImageRecord[]) =>
      (await library.addComparison({ prompt, imageIds: images.map((i) => i.id) })).comparison;
    const score = (modelId: string, promptId: number, image: ImageRecord, value: number) =>
      library.scores.set({ modelId, imageId: image.id, promptId, score: value, cosine: null });

    const three = await comparison('three cats', [img[0]!, img[1]!, img[2]!]);
    for (const [i, v] of [0.2, 0.9, 0.5].entries()) await score('hps-a', three.promptId, img[i]!, v);
    for (const [i, v] of [0.8, 0.1, 0.5].entries()) await score('hps-b', three.promptId, img[i]!, v);
    // Same images under another prompt: their scores above belong to "three cats" only.
    await comparison('other prompt', [img[0]!, img[1]!]);
    const missing = await comparison('one unscored', [img[3]!, img[4]!]);
    await score('hps-a', missing.promptId, img[3]!, 0.4);
    const tie = await comparison('a tie', [img[5]!, img[6]!]);
    await score('hps-a', tie.promptId, img[5]!, 0.3);
    await score('hps-a', tie.promptId, img[6]!, 0.3);
    const close = await comparison('close call', [img[7]!, img[8]!]);
    await score('hps-a', close.promptId, img[7]!, 0.3);
    await score('hps-a', close.promptId, img[8]!, 0.35);
    const excluded = await comparison('set aside', [img[4]!, img[5]!]);
    await score('hps-a', excluded.promptId, img[4]!, 0.1);
    await score('hps-a', excluded.promptId, img[5]!, 0.9);
    await library.setExcluded(excluded.id, true);
    // Only ties for hps-c: nothing to train on.
    await score('hps-c', tie.promptId, img[5]!, 0.5);
    await score('hps-c', tie.promptId, img[6]!, 0.5);

    // A human judgment that disagrees with hps-a: not used in this mode.
    const { annotator } = await library.createAnnotator('ann');
    await library.submitJudgment({
      comparisonId: three.id,
      annotatorId: annotator.id,
      kind: 'choice',
      chosenImageId: img[0]!.id,
      shownOrder: [img[0]!.id, img[1]!.id, img[2]!.id],
      idempotencyKey: '9b2f6c1e-0000-4000-8000-000000000001',
    });
    file = (image) => library.imagePath(image);
  } finally {
    await library.close();
  }
});

describe('scorerPairs', () => {
  it("pairs each fully scored comparison's best over worst image and counts what it skipped", async () => {
    const report = await scorerPairs(dir, 'hps-a');
    expect(report.pairs).toEqual([
      { prompt: 'three cats', chosen: file(img[1]!), rejected: file(img[0]!) },
      { prompt: 'close call', chosen: file(img[8]!), rejected: file(img[7]!) },
    ]);
    expect(report).toMatchObject({ used: 2, skippedMissingScores: 2, skippedTies: 1, skippedMargin: 0 });
  });

  it('another scorer id gives its own choices', async () => {
    const report = await scorerPairs(dir, 'hps-b');
    expect(report.pairs).toEqual([{ prompt: 'three cats', chosen: file(img[0]!), rejected: file(img[1]!) }]);
    expect(report).toMatchObject({ used: 1, skippedMissingScores: 4, skippedTies: 0 });
  });

  it('skips comparisons whose score gap is below the margin', async () => {
    const report = await scorerPairs(dir, 'hps-a', 0.1);
    expect(report.pairs.map((p) => p.prompt)).toEqual(['three cats']);
    expect(report).toMatchObject({ used: 1, skippedTies: 1, skippedMargin: 1 });
  });

  it('names a scorer without scores, and a scorer that yields no pairs', async () => {
    await expect(scorerPairs(dir, 'hps-none')).rejects.toThrow(
      'no scores from hps-none in this library: load that scorer (live readouts) and let it score the library first',
    );
    await expect(scorerPairs(dir, 'hps-c')).rejects.toThrow(
      'no preference pairs from hps-c: 0 comparisons paired by hps-c; skipped 4 missing scores, 1 ties',
    );
    await expect(scorerPairs(dir, 'hps-a', 1)).rejects.toThrow(/2 below margin 1$/);
  });

  it('training settings choose scorer pairs for a library and the dataset reports them', async () => {
    const config = parseTrainingConfig({
      recipe: 'dpo',
      model: 'm',
      data: { library: dir, pairsBy: { scorer: 'hps-a', minMargin: 0.1 } },
      steps: 1,
      out: path.join(dir, 'x.safetensors'),
    });
    const dataset = await loadDataset(config, path.join(dir, 'work'));
    expect(dataset.pairs).toEqual([
      {
        chosen: { image: file(img[1]!), caption: 'three cats' },
        rejected: { image: file(img[0]!), caption: 'three cats' },
      },
    ]);
    expect(dataset.summary).toBe(
      '1 comparisons paired by hps-a; skipped 2 missing scores, 1 ties, 1 below margin 0.1',
    );
    expect(() =>
      parseTrainingConfig({
        recipe: 'hps',
        model: 'm',
        data: { pairs: 'p.jsonl', pairsBy: { scorer: 'hps-a' } },
        steps: 1,
        out: 'x.safetensors',
      }),
    ).toThrow(/invalid training settings/);
  });
});
