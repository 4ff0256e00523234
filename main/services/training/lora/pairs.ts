// Labeled pairs for training: the labeling studio's pairs JSONL (prompt, chosen, rejected relative to the
// file's folder, tie), a library's judgments (exported through the same format), a scorer's stored scores over
// the library's comparisons (the HPS paper's scorer-chosen pairs), and regularisation folders (images with
// same-named .txt captions).
import { mkdir, readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { exportPairs, Library } from '../../library';
import { WEIRD_IMAGE_PREFIX } from '../../../contract/names';

export interface TrainingPair {
  prompt: string;
  chosen: string;
  rejected: string;
}

export interface CaptionedImage {
  image: string;
  caption: string;
}

const pairLine = z.object({
  prompt: z.string(),
  chosen: z.string().min(1).nullable(),
  rejected: z.string().min(1).nullable(),
  tie: z.boolean().optional(),
});

export interface PairsReport {
  pairs: TrainingPair[];
  skippedTies: number;
  skippedUnlabeled: number;
}

/** Pairs a scorer chose: per comparison its best-scored image over its worst. */
export interface ScorerPairsReport {
  pairs: TrainingPair[];
  scorer: string;
  minMargin: number;
  /** Comparisons that gave a pair. */
  used: number;
  /** Comparisons with an image the scorer has no stored score for (under the comparison's prompt). */
  skippedMissingScores: number;
  /** Best and worst scored exactly alike. */
  skippedTies: number;
  /** Score gap below minMargin. */
  skippedMargin: number;
}

export async function readPairsJsonl(file: string): Promise<PairsReport> {
  const text = await readFile(file, 'utf8').catch((error: Error) => {
    throw new Error(`cannot read pairs file ${file}: ${error.message}`);
  });
  const folder = path.dirname(path.resolve(file));
  const report: PairsReport = { pairs: [], skippedTies: 0, skippedUnlabeled: 0 };
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '') return;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      throw new Error(`${file}:${i + 1}: not valid JSON`);
    }
    const parsed = pairLine.safeParse(json);
    if (!parsed.success)
      throw new Error(
        `${file}:${i + 1}: ${parsed.error.issues.map((x) => `${x.path.join('.')}: ${x.message}`).join('; ')}`,
      );
    const { prompt, chosen, rejected, tie } = parsed.data;
    if (tie) report.skippedTies++;
    else if (chosen === null || rejected === null) report.skippedUnlabeled++;
    else
      report.pairs.push({
        prompt,
        chosen: path.resolve(folder, chosen),
        rejected: path.resolve(folder, rejected),
      });
  });
  if (report.pairs.length === 0)
    throw new Error(`${file}: no preference pairs (ties and unlabeled lines are skipped)`);
  await requireImages(report.pairs, file);
  return report;
}

/** Every image a pair names must exist; the error lists the missing ones in file order (the first few). */
async function requireImages(pairs: readonly TrainingPair[], source: string): Promise<void> {
  const images = [...new Set(pairs.flatMap((p) => [p.chosen, p.rejected]))];
  const present = await Promise.all(
    images.map((image) =>
      stat(image).then(
        (s) => s.isFile(),
        () => false,
      ),
    ),
  );
  const missing = images.filter((_, i) => !present[i]);
  if (missing.length === 0) return;
  const shown = missing.slice(0, 3).join(', ');
  const more = missing.length > 3 ? ` and ${missing.length - 3} more` : '';
  throw new Error(
    `${source}: ${missing.length === 1 ? 'image' : 'images'} ${shown}${more} ${missing.length === 1 ? 'does' : 'do'} not exist`,
  );
}

/** A library's preference judgments as pairs (written as a pairs JSONL under `workDir`, then read). */
export async function libraryPairs(libraryDir: string, workDir: string): Promise<PairsReport> {
  if (!Library.exists(libraryDir)) throw new Error(`no library at ${libraryDir}`);
  const library = await Library.open(libraryDir);
  try {
    await mkdir(workDir, { recursive: true });
    const file = path.join(workDir, 'library-pairs.jsonl');
    await exportPairs(library, file, { preferencesOnly: true });
    return await readPairsJsonl(file);
  } finally {
    await library.close();
  }
}

export function noScoresMessage(scorer: string): string {
  return `no scores from ${scorer} in this library: load that scorer (live readouts) and let it score the library first`;
}

/**
 * Pairs chosen by a scorer's stored scores instead of human labels: for each comparison that is not excluded and
 * whose images all have a score under its prompt, the highest-scored image is chosen and the lowest rejected
 * (skipped when they tie exactly or differ by less than `minMargin`).
 */
export async function scorerPairs(
  libraryDir: string,
  scorer: string,
  minMargin = 0,
): Promise<ScorerPairsReport> {
  if (!Library.exists(libraryDir)) throw new Error(`no library at ${libraryDir}`);
  const library = await Library.open(libraryDir);
  const report: ScorerPairsReport = {
    pairs: [],
    scorer,
    minMargin,
    used: 0,
    skippedMissingScores: 0,
    skippedTies: 0,
    skippedMargin: 0,
  };
  try {
    const stored = await library.scores.list({ modelId: scorer });
    if (stored.length === 0) throw new Error(noScoresMessage(scorer));
    const scoreOf = new Map(stored.map((s) => [`${s.imageId}:${s.promptId}`, s.score]));
    for (const comparison of await library.listComparisons()) {
      if (comparison.excluded) continue;
      const scored = comparison.images.map((image) => ({
        image,
        score: scoreOf.get(`${image.id}:${comparison.promptId}`),
      }));
      if (scored.some((s) => s.score === undefined)) {
        report.skippedMissingScores++;
        continue;
      }
      const best = scored.reduce((a, b) => (b.score! > a.score! ? b : a));
      const worst = scored.reduce((a, b) => (b.score! < a.score! ? b : a));
      const gap = best.score! - worst.score!;
      if (gap === 0) report.skippedTies++;
      else if (gap < minMargin) report.skippedMargin++;
      else {
        report.used++;
        report.pairs.push({
          prompt: comparison.prompt,
          chosen: library.imagePath(best.image),
          rejected: library.imagePath(worst.image),
        });
      }
    }
  } finally {
    await library.close();
  }
  if (report.pairs.length === 0)
    throw new Error(`no preference pairs from ${scorer}: ${describeScorerPairs(report)}`);
  await requireImages(report.pairs, libraryDir);
  return report;
}

/** One line for the run's progress: how many comparisons gave pairs and why the others did not. */
export function describeScorerPairs(report: ScorerPairsReport): string {
  const margin = report.minMargin > 0 ? `, ${report.skippedMargin} below margin ${report.minMargin}` : '';
  return (
    `${report.used} comparisons paired by ${report.scorer}; skipped ${report.skippedMissingScores} missing ` +
    `scores, ${report.skippedTies} ties${margin}`
  );
}

const IMAGE_EXTENSIONS: ReadonlySet<string> = new Set(['.png', '.jpg', '.jpeg', '.webp']);

/** Images of a folder that have a caption file `<name>.txt` beside them. */
export async function readCaptionFolder(folder: string): Promise<CaptionedImage[]> {
  const names = await readdir(folder).catch((error: Error) => {
    throw new Error(`cannot read regularisation folder ${folder}: ${error.message}`);
  });
  const out: CaptionedImage[] = [];
  for (const name of names.sort()) {
    const ext = path.extname(name).toLowerCase();
    if (!IMAGE_EXTENSIONS.has(ext)) continue;
    const captionFile = path.join(folder, `${path.basename(name, path.extname(name))}.txt`);
    const caption = await readFile(captionFile, 'utf8').catch(() => undefined);
    if (caption !== undefined) out.push({ image: path.join(folder, name), caption: caption.trim() });
  }
  if (out.length === 0) throw new Error(`regularisation folder ${folder} has no images with .txt captions`);
  return out;
}

/** The HPS recipe's samples: chosen images under their prompt, rejected under "Weird image. " + prompt (deduplicated). */
export function hpsTrainingSamples(pairs: readonly TrainingPair[]): CaptionedImage[] {
  const seen = new Set<string>();
  const out: CaptionedImage[] = [];
  for (const p of pairs) {
    for (const sample of [
      { image: p.chosen, caption: p.prompt },
      { image: p.rejected, caption: WEIRD_IMAGE_PREFIX + p.prompt },
    ]) {
      const key = JSON.stringify(sample);
      if (!seen.has(key)) {
        seen.add(key);
        out.push(sample);
      }
    }
  }
  return out;
}
