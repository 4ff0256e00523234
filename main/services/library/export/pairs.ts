import { writeFileSync } from 'node:fs';
import type { Library } from '../library';
import type { Comparison, Judgment } from '../types';
import type { PairLine } from '../import/pairs';
import {
  annotatorNames,
  comparisonsWithJudgments,
  ImageExporter,
  SkipCounter,
  type ExportReport,
} from './common';

export interface PairsExportOptions {
  /** Leave out both-bad, skip and unlabeled comparisons (lines whose chosen/rejected are null). Default false. */
  preferencesOnly?: boolean;
}

/**
 * One JSON object per line: prompt, chosen, rejected (paths relative to the file's folder), tie, annotator,
 * time, plus id/kind/images/ranking/shown/ms/group/gold so a re-import rebuilds the library exactly.
 * An N-way choice is written as one line per rejected image and a ranking as every ordered pair, all with
 * the judgment's id; both-bad, skip and unlabeled comparisons have chosen = rejected = null.
 */
export async function exportPairs(
  library: Library,
  outFile: string,
  options: PairsExportOptions = {},
): Promise<ExportReport> {
  const images = new ImageExporter(library, outFile);
  const skipped = new SkipCounter();
  const lines: PairLine[] = [];
  const labeled = await comparisonsWithJudgments(library);
  const names = await annotatorNames(library);
  for (const { comparison, judgments } of labeled) {
    const pathOf = new Map(comparison.images.map((image) => [image.id, images.relativePath(image)]));
    const at = (id: number): string => pathOf.get(id)!;
    const base = {
      prompt: comparison.prompt,
      images: comparison.images.map((image) => at(image.id)),
      group: comparison.group,
      gold: comparison.goldImageId === null ? null : at(comparison.goldImageId),
    };
    if (judgments.length === 0) {
      if (options.preferencesOnly) skipped.add('unlabeled comparison');
      else lines.push({ ...base, kind: 'none', chosen: null, rejected: null, tie: false, annotator: null });
      continue;
    }
    for (const judgment of judgments) {
      const judged = {
        ...base,
        id: judgment.idempotencyKey,
        kind: judgment.kind,
        annotator: names.get(judgment.annotatorId) ?? null,
        time: judgment.createdAt,
        shown: judgment.shownOrder.map(at),
        ms: judgment.decisionMs,
      };
      const pairs = preferencePairs(judgment, comparison);
      if (pairs === null) {
        if (options.preferencesOnly) skipped.add(`${judgment.kind} judgment`);
        else lines.push({ ...judged, chosen: null, rejected: null, tie: false });
        continue;
      }
      for (const [chosen, rejected] of pairs) {
        lines.push({
          ...judged,
          chosen: at(chosen),
          rejected: at(rejected),
          tie: judgment.kind === 'tie',
          ...(judgment.kind === 'ranking' ? { ranking: judgment.ranking!.map(at) } : {}),
        });
      }
    }
  }
  writeFileSync(
    outFile,
    lines.map((line) => JSON.stringify(line)).join('\n') + (lines.length > 0 ? '\n' : ''),
  );
  return {
    format: 'pairs-jsonl',
    file: outFile,
    records: lines.length,
    imagesCopied: images.copied,
    skipped: skipped.list(),
  };
}

/** [chosen, rejected] image id pairs a judgment states, or null for judgments that state no preference. */
function preferencePairs(judgment: Judgment, comparison: Comparison): [number, number][] | null {
  const ids = comparison.images.map((image) => image.id);
  switch (judgment.kind) {
    case 'choice':
      return ids.filter((id) => id !== judgment.chosenImageId).map((id) => [judgment.chosenImageId!, id]);
    case 'tie':
      return [[ids[0]!, ids[1]!]];
    case 'ranking': {
      const ranking = judgment.ranking!;
      return ranking.flatMap((better, i) =>
        ranking.slice(i + 1).map((worse): [number, number] => [better, worse]),
      );
    }
    default:
      return null;
  }
}
