// The library's annotators as the Settings page lists them, and adding one (with the token it logs in with).
import type { CallInput, CallOutput } from '../contract';
import { ApiError } from '../contract/errors';
import type { Library } from '../services/library';

export async function annotatorList(library: Library): Promise<CallOutput<'annotators.list'>> {
  const counts = new Map<number, number>();
  for (const j of await library.judgments.list())
    counts.set(j.annotatorId, (counts.get(j.annotatorId) ?? 0) + 1);
  const annotators = await library.annotators.list();
  return { annotators: annotators.map((a) => ({ ...a, judgments: counts.get(a.id) ?? 0 })) };
}

export async function addAnnotator(
  library: Library,
  { name, role }: CallInput<'annotators.add'>,
): Promise<CallOutput<'annotators.add'>> {
  try {
    const { annotator, token } = await library.createAnnotator(name, role);
    return { annotator: { ...annotator, judgments: 0 }, token };
  } catch (err) {
    throw new ApiError('bad_request', (err as Error).message);
  }
}
