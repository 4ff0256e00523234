import { writeFileSync } from 'node:fs';
import { stringify } from 'csv-stringify/sync';
import type { Library } from '../library';
import type { ExportReport } from './common';

/** CSV of every stored score: model_id, prompt, image_hash, image_ext, score, cosine (empty when none). */
export async function exportScoresCsv(
  library: Library,
  outFile: string,
  filter: { modelId?: string } = {},
): Promise<ExportReport> {
  // Scores first: a scoring job may write between the reads, and images and prompts are never deleted, so
  // every score read finds its image and prompt in the later lists.
  const scores = await library.scores.list(filter);
  const prompts = new Map((await library.listPrompts()).map((prompt) => [prompt.id, prompt.text]));
  const images = new Map((await library.listImages()).map((image) => [image.id, image]));
  const rows = scores.map((score) => {
    const image = images.get(score.imageId)!;
    return [
      score.modelId,
      prompts.get(score.promptId) ?? '',
      image.hash,
      image.ext,
      score.score,
      score.cosine ?? '',
    ];
  });
  writeFileSync(
    outFile,
    stringify(rows, {
      header: true,
      columns: ['model_id', 'prompt', 'image_hash', 'image_ext', 'score', 'cosine'],
    }),
  );
  return { format: 'scores-csv', file: outFile, records: rows.length, imagesCopied: 0, skipped: [] };
}
