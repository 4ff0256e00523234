// A synthetic library where the preferred image is always the brighter one: random colour blocks scaled by
// a brightness factor, two images per comparison, one choice per comparison by a single annotator.
import sharp from 'sharp';
import { Library } from '../../main/services/library';
import { mulberry32 } from '../../main/services/evaluation/bootstrap';

export interface SyntheticOptions {
  prompts: number;
  comparisonsPerPrompt: number;
  /** Also add this many unlabelled comparisons (for label-next). */
  unlabelled?: number;
  seed?: number;
}

const SIZE = 32;

async function blockImage(random: () => number, brightness: number): Promise<Uint8Array> {
  const pixels = Buffer.alloc(SIZE * SIZE * 3);
  const blocks = Array.from({ length: 16 }, () => [random(), random(), random()]);
  for (let y = 0; y < SIZE; y++)
    for (let x = 0; x < SIZE; x++) {
      const colour = blocks[Math.floor(y / 8) * 4 + Math.floor(x / 8)]!;
      for (let c = 0; c < 3; c++)
        pixels[(y * SIZE + x) * 3 + c] = Math.round(255 * brightness * (0.3 + 0.7 * colour[c]!));
    }
  return sharp(pixels, { raw: { width: SIZE, height: SIZE, channels: 3 } })
    .png()
    .toBuffer();
}

export async function syntheticLibrary(dir: string, options: SyntheticOptions): Promise<Library> {
  const random = mulberry32(options.seed ?? 1);
  const library = await Library.open(dir);
  const annotator = (await library.createAnnotator('synthetic')).annotator;
  const pair = async (prompt: string) => {
    const dark = await library.addImage(await blockImage(random, 0.15 + 0.3 * random()));
    const bright = await library.addImage(await blockImage(random, 0.65 + 0.35 * random()));
    const ids = random() < 0.5 ? [dark.image.id, bright.image.id] : [bright.image.id, dark.image.id];
    return {
      comparison: (await library.addComparison({ prompt, imageIds: ids })).comparison,
      bright: bright.image.id,
    };
  };
  for (let p = 0; p < options.prompts; p++) {
    for (let c = 0; c < options.comparisonsPerPrompt; c++) {
      const { comparison, bright } = await pair(`a picture of thing number ${p}`);
      await library.submitJudgment({
        comparisonId: comparison.id,
        annotatorId: annotator.id,
        kind: 'choice',
        chosenImageId: bright,
        shownOrder: comparison.images.map((i) => i.id),
        idempotencyKey: `synthetic-${comparison.id}`,
      });
    }
  }
  for (let u = 0; u < (options.unlabelled ?? 0); u++) await pair(`an unlabelled picture ${u}`);
  return library;
}
