import { writeFileSync } from 'node:fs';
import type { Library } from '../library';
import {
  annotatorNames,
  comparisonsWithJudgments,
  ImageExporter,
  SkipCounter,
  type ExportReport,
} from './common';

export interface HpdExportOptions {
  /**
   * 'train' (default): HPD v2 train.json items, one per choice or tie judgment —
   *   { prompt, image_path, human_preference (1 = preferred; all 1 = tie), user_hash }.
   * 'test': HPD v2 test.json items, one per comparison with ranking judgments —
   *   { prompt, image_path, rank (1 = best, from the mean of the annotators' ranks), raw_annotations: [{ rank, user_hash }] }.
   */
  split?: 'train' | 'test';
}

interface TrainItem {
  prompt: string;
  image_path: string[];
  human_preference: number[];
  user_hash: string;
}

interface TestItem {
  prompt: string;
  image_path: string[];
  rank: number[];
  raw_annotations: { rank: number[]; user_hash: string }[];
}

export async function exportHpdV2(
  library: Library,
  outFile: string,
  options: HpdExportOptions = {},
): Promise<ExportReport> {
  const split = options.split ?? 'train';
  const images = new ImageExporter(library, outFile);
  const skipped = new SkipCounter();
  const items: (TrainItem | TestItem)[] = [];
  const labeled = await comparisonsWithJudgments(library);
  const names = await annotatorNames(library);
  for (const { comparison, judgments } of labeled) {
    const ids = comparison.images.map((image) => image.id);
    const wanted = judgments.filter((judgment) =>
      split === 'train' ? judgment.kind === 'choice' || judgment.kind === 'tie' : judgment.kind === 'ranking',
    );
    judgments
      .filter((judgment) => !wanted.includes(judgment))
      .forEach((judgment) => skipped.add(`${judgment.kind} judgment`));
    if (wanted.length === 0) continue;
    const imagePaths = comparison.images.map((image) => images.relativePath(image));
    if (split === 'train') {
      for (const judgment of wanted) {
        items.push({
          prompt: comparison.prompt,
          image_path: imagePaths,
          human_preference: ids.map((id) =>
            judgment.kind === 'tie' || id === judgment.chosenImageId ? 1 : 0,
          ),
          user_hash: names.get(judgment.annotatorId) ?? '',
        });
      }
    } else {
      const raw = wanted.map((judgment) => ({
        rank: ids.map((id) => judgment.ranking!.indexOf(id) + 1),
        user_hash: names.get(judgment.annotatorId) ?? '',
      }));
      items.push({
        prompt: comparison.prompt,
        image_path: imagePaths,
        rank: consensusRank(raw.map((r) => r.rank)),
        raw_annotations: raw,
      });
    }
  }
  writeFileSync(outFile, JSON.stringify(items, null, 1));
  return {
    format: `hpd-v2-${split}`,
    file: outFile,
    records: items.length,
    imagesCopied: images.copied,
    skipped: skipped.list(),
  };
}

/** Ranks (1 = best) of the images ordered by their mean rank across annotators; ties keep the listed order. */
export function consensusRank(ranks: number[][]): number[] {
  const size = ranks[0]!.length;
  const mean = Array.from(
    { length: size },
    (_, i) => ranks.reduce((sum, r) => sum + r[i]!, 0) / ranks.length,
  );
  const order = mean
    .map((value, index) => ({ value, index }))
    .sort((a, b) => a.value - b.value || a.index - b.index);
  const result = new Array<number>(size);
  order.forEach((entry, position) => (result[entry.index] = position + 1));
  return result;
}
