// Helpers for declaring calls: `defineCall` keeps each entry's exact zod types so inputs and outputs can be
// inferred end to end (contract → handlers → transports → renderer client).
import { z } from 'zod';

/** Who may make a call. Local users and the owner in team mode may make every call; annotator tokens only
 *  the calls marked `'annotator'` (the labeling calls of team mode). */
export type CallAccess = 'owner' | 'annotator';

export interface CallSpec<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> {
  /** One line for the API reference and error messages. */
  summary: string;
  input: I;
  output: O;
  access?: CallAccess;
}

export function defineCall<I extends z.ZodType, O extends z.ZodType>(spec: CallSpec<I, O>): CallSpec<I, O> {
  return spec;
}

/** Input of calls that take no arguments: `{}` and nothing else. */
export const NoInput = z.object({}).strict();

/** A file or folder on the machine that runs main/ (checkpoints, vocabularies, datasets, output folders). */
export const LocalPath = z.string().trim().min(1, 'give the path of a file or folder').max(4096);
