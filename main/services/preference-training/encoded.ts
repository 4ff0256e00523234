// The frozen prefix outputs of every image and prompt a run needs, computed once: each training step and
// each evaluation then runs only the trained suffix.
import { readFile } from 'node:fs/promises';
import { decodeImage, preprocessImage, stackPixels } from '../../image';
import { eotIndices } from '../../models/clip';
import type { ClipTokenizer } from '../../tokenizer';
import type { Library } from '../library';
import { KIND_SPECS } from '../scoring/kinds';
import type { PreferenceSessions, TextHidden } from './model-sessions';

const IMAGE_BATCH = 8;
const TEXT_BATCH = 32;

export class EncodedSet {
  private constructor(
    private readonly imageRows: Map<number, number>,
    private readonly imageHidden: Float32Array,
    private readonly imageStride: number,
    private readonly promptRows: Map<number, number>,
    private readonly text: TextHidden,
    private readonly textStride: number,
  ) {}

  static async encode(
    sessions: PreferenceSessions,
    library: Library,
    tokenizer: ClipTokenizer,
    items: { imageIds: readonly number[]; prompts: ReadonlyMap<number, string> },
    onProgress?: (done: number, total: number) => void,
  ): Promise<EncodedSet> {
    const { cfg } = sessions;
    const imageIds = [...new Set(items.imageIds)];
    const imageStride = (cfg.vision.grid * cfg.vision.grid + 1) * cfg.vision.width;
    const imageHidden = new Float32Array(imageIds.length * imageStride);
    const mode = KIND_SPECS[sessions.base.kind].preprocess;
    for (let start = 0; start < imageIds.length; start += IMAGE_BATCH) {
      const batch = imageIds.slice(start, start + IMAGE_BATCH);
      const pixels = await Promise.all(batch.map((id) => loadPixels(library, id, mode)));
      imageHidden.set(await sessions.imageHidden(stackPixels(pixels), batch.length), start * imageStride);
      onProgress?.(start + batch.length, imageIds.length);
    }
    const promptIds = [...items.prompts.keys()];
    const L = cfg.text.contextLength;
    const textStride = L * cfg.text.width;
    const textHidden = new Float32Array(promptIds.length * textStride);
    const eot = new Int32Array(promptIds.length);
    for (let start = 0; start < promptIds.length; start += TEXT_BATCH) {
      const batch = promptIds.slice(start, start + TEXT_BATCH);
      const tokens = tokenizer.tokenize(
        batch.map((id) => items.prompts.get(id)!),
        { contextLength: L, pad: 'zero' },
      );
      const out = await sessions.textHidden(tokens, eotIndices(tokens, L));
      textHidden.set(out.hidden, start * textStride);
      eot.set(out.eot, start);
    }
    return new EncodedSet(
      new Map(imageIds.map((id, i) => [id, i])),
      imageHidden,
      imageStride,
      new Map(promptIds.map((id, i) => [id, i])),
      { hidden: textHidden, eot },
      textStride,
    );
  }

  /** Hidden states of the images, in the order given. */
  images(ids: readonly number[]): Float32Array {
    const out = new Float32Array(ids.length * this.imageStride);
    ids.forEach((id, i) => out.set(this.imageRow(id), i * this.imageStride));
    return out;
  }

  /** Hidden states and EOT positions of the prompts, in the order given. */
  prompts(ids: readonly number[]): TextHidden {
    const hidden = new Float32Array(ids.length * this.textStride);
    const eot = new Int32Array(ids.length);
    ids.forEach((id, i) => {
      const row = this.promptRows.get(id);
      if (row === undefined) throw new Error(`prompt ${id} was not encoded`);
      hidden.set(
        this.text.hidden.subarray(row * this.textStride, (row + 1) * this.textStride),
        i * this.textStride,
      );
      eot[i] = this.text.eot[row]!;
    });
    return { hidden, eot };
  }

  private imageRow(id: number): Float32Array {
    const row = this.imageRows.get(id);
    if (row === undefined) throw new Error(`image ${id} was not encoded`);
    return this.imageHidden.subarray(row * this.imageStride, (row + 1) * this.imageStride);
  }
}

async function loadPixels(
  library: Library,
  imageId: number,
  mode: (typeof KIND_SPECS)[keyof typeof KIND_SPECS]['preprocess'],
) {
  const image = await library.getImage(imageId);
  if (!image) throw new Error(`the library has no image ${imageId}`);
  const file = library.imagePath(image);
  return preprocessImage(await decodeImage(await readFile(file), file), mode, { letterboxUnscaled: true });
}
