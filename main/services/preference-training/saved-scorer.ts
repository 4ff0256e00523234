// A trained preference model is a scorer like any other: a safetensors file with every CLIP weight under
// the OpenAI / open_clip names (so the scoring service loads it as its base kind), and a small JSON header in
// `__metadata__` naming the base model, kind and training settings.
import { readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { z } from 'zod';
import { loadStateDict, writeSafetensors, type TensorSource } from '../../checkpoints';
import { TieConventionSchema, TrainableKindSchema } from '../../contract/names';
import type { TensorSet } from '../../engine/optim';
import type { ScorerOptions } from '../scoring/clip-scorer';
import { createScorer } from '../scoring';
import type { Scorer } from '../scoring/types';
import type { BaseModel } from './base-model';

export const METADATA_KEY = 'hps_studio_preference';
export const HEADER_FORMAT = 'hps-studio/preference-scorer@1';

const Accuracy = z.object({
  convention: TieConventionSchema,
  accuracy: z.number().nullable(),
  n: z.number().int(),
  interval: z.tuple([z.number(), z.number()]).nullable(),
  unscored: z.number().int(),
});
const BothConventions = z.object({ dropTies: Accuracy, halfCredit: Accuracy });
const HeldOutReport = z.object({
  trainComparisons: z.number().int(),
  testComparisons: z.number().int(),
  /** Prompts whose comparisons were never trained on. */
  testPromptIds: z.array(z.number().int()),
  before: BothConventions,
  after: BothConventions,
  others: z.array(BothConventions.extend({ modelId: z.string() })),
});
export type HeldOutReport = z.infer<typeof HeldOutReport>;

const SavedHeader = z.object({
  format: z.literal(HEADER_FORMAT),
  kind: TrainableKindSchema,
  base: z.object({ file: z.string(), layout: z.string() }),
  trained: z.array(z.string()),
  settings: z.record(z.string(), z.union([z.number(), z.string(), z.boolean()])),
  heldOut: z
    .object({
      before: z.number().nullable(),
      after: z.number().nullable(),
      pairs: z.number(),
      /** The full held-out report: what the Evaluate view shows next to the other scorers. */
      report: HeldOutReport.optional(),
    })
    .optional(),
  createdAt: z.string(),
});
export type SavedScorerHeader = z.infer<typeof SavedHeader>;

export interface SaveOptions {
  base: BaseModel;
  trained: Readonly<TensorSet>;
  settings: Record<string, number | string | boolean>;
  heldOut?: SavedScorerHeader['heldOut'];
}

/** Writes the full weights (trained ones replaced) as float32 safetensors with the header. */
export async function saveTrainedScorer(file: string, options: SaveOptions): Promise<SavedScorerHeader> {
  const { base, trained } = options;
  const tensors = new Map<string, TensorSource>();
  for (const [name, values] of base.weights) {
    const data = trained[name] ?? values;
    if (data.length !== values.length)
      throw new Error(`trained ${name} has ${data.length} values, the base ${values.length}`);
    tensors.set(name, { dtype: 'F32', shape: base.shapes.get(name)!, data });
  }
  const header: SavedScorerHeader = {
    format: HEADER_FORMAT,
    kind: base.kind,
    base: { file: basename(base.file), layout: base.model.weights.layout },
    trained: Object.keys(trained).sort(),
    settings: options.settings,
    heldOut: options.heldOut,
    createdAt: new Date().toISOString(),
  };
  await writeSafetensors(file, tensors, { [METADATA_KEY]: JSON.stringify(header) });
  return header;
}

/** The header of a trained scorer file, or undefined for any other checkpoint. Throws on a malformed header. */
export async function readTrainedScorerHeader(file: string): Promise<SavedScorerHeader | undefined> {
  const state = await loadStateDict(file);
  try {
    const text = state.metadata[METADATA_KEY];
    if (text === undefined) return undefined;
    const parsed = SavedHeader.safeParse(JSON.parse(text));
    if (!parsed.success)
      throw new Error(`${file}: the preference-scorer header is malformed: ${parsed.error.message}`);
    return parsed.data;
  } finally {
    await state.close();
  }
}

/** Opens a trained scorer under the kind its header names (preprocessing, activation and score scale of the base). */
export async function createTrainedScorer(
  file: string,
  options: Omit<ScorerOptions, 'kind' | 'model'>,
): Promise<Scorer> {
  const header = await readTrainedScorerHeader(file);
  if (!header) throw new Error(`${file} is not a trained preference scorer (no ${METADATA_KEY} header)`);
  return createScorer({ ...options, kind: header.kind, model: file });
}

export interface SavedScorerFile {
  file: string;
  header: SavedScorerHeader;
}

/** The trained scorers saved in a folder (a library's scorers/), oldest first; other files are passed over. */
export async function listTrainedScorers(dir: string): Promise<SavedScorerFile[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const found: SavedScorerFile[] = [];
  for (const name of names.filter((n) => n.endsWith('.safetensors'))) {
    const file = join(dir, name);
    const header = await readTrainedScorerHeader(file).catch(() => undefined);
    if (header) found.push({ file, header });
  }
  return found.sort((a, b) => a.header.createdAt.localeCompare(b.header.createdAt));
}
