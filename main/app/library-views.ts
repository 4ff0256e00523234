// How library records are shown through the API: image paths relative to the library folder (the client
// turns them into hps-image:// or /library-files/ URLs), scorers ordered HPS v2.1 first.
import path from 'node:path';
import type { ImageRecord, Library } from '../services/library';

export interface ImageView {
  id: number;
  hash: string;
  width: number;
  height: number;
  path: string;
  thumbPath: string | null;
}

/** A file under the library folder as the API names it: relative, with forward slashes. */
export const libraryRelative = (libraryDir: string, file: string): string =>
  path.relative(libraryDir, file).split(path.sep).join('/');

/** `withThumb` makes (or reuses) the cached thumbnail; labeling shows full images and skips it. */
export async function imageView(
  library: Library,
  image: ImageRecord,
  withThumb: boolean,
): Promise<ImageView> {
  let thumbPath: string | null = null;
  if (withThumb) {
    try {
      thumbPath = libraryRelative(library.dir, await library.thumbnailPath(image.id));
    } catch {
      // An unreadable image still shows as its full file; the grid falls back to it.
    }
  }
  return {
    id: image.id,
    hash: image.hash,
    width: image.width,
    height: image.height,
    path: libraryRelative(library.dir, library.imagePath(image)),
    thumbPath,
  };
}

/** HPS v2.1 first (the paper's best), then the other HPS versions, then the rest by name. */
export function scorerRank(modelId: string): number {
  const id = modelId.toLowerCase();
  if (/hps[-_ ]?v?2\.1/.test(id)) return 0;
  if (/hps[-_ ]?v?2/.test(id)) return 1;
  if (id.includes('hps')) return 2;
  return 3;
}

export function orderScorers(modelIds: readonly string[]): string[] {
  return [...modelIds].sort((a, b) => scorerRank(a) - scorerRank(b) || a.localeCompare(b));
}

/** score lookup keyed by model → `${imageId}:${promptId}`. */
export async function scoreIndex(
  library: Library,
  promptId?: number,
): Promise<Map<string, Map<string, number>>> {
  const byModel = new Map<string, Map<string, number>>();
  for (const s of await library.scores.list(promptId === undefined ? {} : { promptId })) {
    const forModel = byModel.get(s.modelId) ?? new Map<string, number>();
    forModel.set(`${s.imageId}:${s.promptId}`, s.score);
    byModel.set(s.modelId, forModel);
  }
  return byModel;
}
