import { writeFileSync } from 'node:fs';
import { stringify } from 'csv-stringify/sync';
import type { Library } from '../library';
import type { ExportReport } from './common';

/** CSV of every stored score: model_id, prompt, image_hash, image_ext, score, cosine (empty when none). */
export function exportScoresCsv(
  library: Library,
  outFile: string,
  filter: { modelId?: string } = {},
): ExportReport {
  const prompts = new Map(library.listPrompts().map((prompt) => [prompt.id, prompt.text]));
  const images = new Map(library.listImages().map((image) => [image.id, image]));
  const rows = library.scores.list(filter).map((score) => {
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
