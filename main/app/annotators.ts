// The library's annotators as the Settings page lists them, and adding one (with the token it logs in with).
import type { CallInput, CallOutput } from '../contract';
import { ApiError } from '../contract/errors';
import type { Library } from '../services/library';

export function annotatorList(library: Library): CallOutput<'annotators.list'> {
  const counts = new Map<number, number>();
  for (const j of library.judgments.list()) counts.set(j.annotatorId, (counts.get(j.annotatorId) ?? 0) + 1);
  return { annotators: library.annotators.list().map((a) => ({ ...a, judgments: counts.get(a.id) ?? 0 })) };
}

export function addAnnotator(
  library: Library,
  { name, role }: CallInput<'annotators.add'>,
): CallOutput<'annotators.add'> {
  try {
    const { annotator, token } = library.createAnnotator(name, role);
    return { annotator: { ...annotator, judgments: 0 }, token };
  } catch (err) {
    throw new ApiError('bad_request', (err as Error).message);
  }
}
