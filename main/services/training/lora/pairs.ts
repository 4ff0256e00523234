// Labeled pairs for training: the labeling studio's pairs JSONL (prompt, chosen, rejected relative to the
// file's folder, tie), a library's judgments (exported through the same format), and regularisation folders
// (images with same-named .txt captions).
import { mkdir, readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { exportPairs, Library } from '../../library';
import { HPS_IDENTIFIER } from './config';

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
  await Promise.all(
    [...new Set(report.pairs.flatMap((p) => [p.chosen, p.rejected]))].map(async (image) => {
      if (
        !(await stat(image).then(
          (s) => s.isFile(),
          () => false,
        ))
      )
        throw new Error(`${file}: image ${image} does not exist`);
    }),
  );
  return report;
}

/** A library's preference judgments as pairs (written as a pairs JSONL under `workDir`, then read). */
export async function libraryPairs(libraryDir: string, workDir: string): Promise<PairsReport> {
  if (!Library.exists(libraryDir)) throw new Error(`no library at ${libraryDir}`);
  const library = Library.open(libraryDir);
  try {
    await mkdir(workDir, { recursive: true });
    const file = path.join(workDir, 'library-pairs.jsonl');
    exportPairs(library, file, { preferencesOnly: true });
    return await readPairsJsonl(file);
  } finally {
    library.close();
  }
}

const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg', '.webp']);

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
      { image: p.rejected, caption: HPS_IDENTIFIER + p.prompt },
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
