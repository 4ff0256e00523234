// `hps-studio train-lora --library DIR --pairs-by SCORER_ID`: a one-step run on sd-tiny trained on the pairs a
// scorer's stored scores choose (the summary line says what was used and skipped); argument misuse and a scorer
// without scores are one-line errors.
import path from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { Library } from '../../main/services/library';
import { clipVocab, tempDir, tinyFolder } from '../sd/helpers';
import { runCli } from '../cli/run-cli';

const dir = tempDir('train-cli-pairs-by-');
const libraryDir = path.join(dir, 'library');

const cli = (...args: string[]) => runCli(args);

beforeAll(async () => {
  const library = await Library.open(libraryDir);
  try {
    const images = [];
    for (const r of [220, 30, 120])
      images.push(
        (
          await library.addImage(
            await sharp({ create: { width: 32, height: 32, channels: 3, background: { r, g: 60, b: 90 } } })
              .png()
              .toBuffer(),
          )
        ).image,
      );
    const scored = await library.addComparison({
      prompt: 'a red card',
      imageIds: [images[0]!.id, images[1]!.id],
    });
    await library.addComparison({ prompt: 'unscored', imageIds: [images[1]!.id, images[2]!.id] });
    for (const [image, score] of [
      [images[0]!, 0.3],
      [images[1]!, 0.2],
    ] as const)
      await library.scores.set({
        modelId: 'hps-v2.1',
        imageId: image.id,
        promptId: scored.comparison.promptId,
        score,
        cosine: null,
      });
  } finally {
    await library.close();
  }
});

const base = (out: string) => [
  'train-lora',
  '--recipe',
  'hps',
  '--model',
  tinyFolder,
  '--vocab',
  clipVocab,
  '--steps',
  '1',
  '--resolution',
  '32',
  '--out',
  path.join(dir, out),
];

describe('hps-studio train-lora --pairs-by', () => {
  it("trains on the scorer's pairs and says how many comparisons it used and skipped", async () => {
    const out = path.join(dir, 'by-scorer.safetensors');
    const run = await cli(
      ...base('by-scorer.safetensors'),
      '--library',
      libraryDir,
      '--pairs-by',
      'hps-v2.1',
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('1 comparisons paired by hps-v2.1; skipped 1 missing scores, 0 ties\n');
    expect(run.stdout).toContain(`wrote ${out}`);
  }, 300_000);

  it('refuses a scorer without scores, --pairs-by without --library and --min-margin without --pairs-by', async () => {
    const missing = await cli(
      ...base('x.safetensors'),
      '--library',
      libraryDir,
      '--pairs-by',
      'pickscore-v1',
    );
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(
      'no scores from pickscore-v1 in this library: load that scorer (live readouts) and let it score the library first',
    );
    const noLibrary = await cli(...base('x.safetensors'), '--pairs', 'p.jsonl', '--pairs-by', 'hps-v2.1');
    expect(noLibrary.stderr.trim()).toBe(
      'hps-studio: --pairs-by chooses pairs from a library: give --library DIR',
    );
    const noScorer = await cli(...base('x.safetensors'), '--library', libraryDir, '--min-margin', '0.1');
    expect(noScorer.stderr.trim()).toBe('hps-studio: --min-margin applies with --pairs-by SCORER_ID only');
  }, 120_000);
});
