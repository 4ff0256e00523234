// The admin's "label next" queue (active learning), kept beside the database as labeling-queue.json: labeling.next
// serves its comparisons first, in order, to every annotator, under the same blind-assignment rules.
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { Comparison, Library } from '../../services/library';
import { LabelQueueSourceSchema } from '../../contract';

const FILE = 'labeling-queue.json';

const StoredQueueSchema = z.object({
  source: LabelQueueSourceSchema,
  comparisonIds: z.array(z.number().int()),
});
export type LabelQueue = z.infer<typeof StoredQueueSchema>;

export function readLabelQueue(libraryDir: string): LabelQueue | null {
  const file = path.join(libraryDir, FILE);
  if (!existsSync(file)) return null;
  const parsed = StoredQueueSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) throw new Error(`${file} is not valid: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

export function writeLabelQueue(libraryDir: string, queue: LabelQueue): void {
  const file = path.join(libraryDir, FILE);
  // Write-then-rename: a crash leaves the old queue or the new one, never half of one.
  writeFileSync(`${file}.tmp`, `${JSON.stringify(queue)}\n`);
  renameSync(`${file}.tmp`, file);
}

export function clearLabelQueue(libraryDir: string): boolean {
  const file = path.join(libraryDir, FILE);
  if (!existsSync(file)) return false;
  rmSync(file);
  return true;
}

/** The queued comparisons this annotator may still be served, in queue order (lazily: next needs one). */
export async function* queuedFor(
  library: Library,
  queue: LabelQueue,
  annotatorId: number,
  overlap: number,
): AsyncGenerator<Comparison> {
  for (const id of queue.comparisonIds) {
    // isOpenTo is false for a comparison deleted since it was queued.
    if (await library.judgments.isOpenTo(id, annotatorId, overlap)) yield await library.requireComparison(id);
  }
}

/** A fresh left-to-right order, as the normal assignment gives (position must not hint at anything). */
export function shuffledOrder(comparison: Comparison): number[] {
  const ids = comparison.images.map((image) => image.id);
  for (let i = ids.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [ids[i], ids[j]] = [ids[j]!, ids[i]!];
  }
  return ids;
}
