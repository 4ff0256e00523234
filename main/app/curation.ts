// The Library view's queries: the curation grid (labels, agreement and best score per scorer of each comparison,
// filtered, sorted and paged) and exact duplicates, shaped for the contract.
import type { CallOutput, ParsedInput } from '../contract';
import { itemAgreement, ratingsFromJudgments } from '../services/evaluation';
import type { Comparison, Library } from '../services/library';
import { imageView, scoreIndex } from './library-views';

type CurationItem = CallOutput<'library.comparisons'>['items'][number];
type Row = Omit<CurationItem, 'images' | 'tags'> & { comparison: Comparison };

/** Labels, agreement and best score per scorer of some comparisons, from their own judgments and scores. */
async function summarize(
  library: Library,
  comparisons: readonly Comparison[],
  knownScores?: Map<string, Map<string, number>>,
): Promise<Row[]> {
  const scores = knownScores ?? (await scoreIndex(library));
  const views = new Map(
    comparisons.map((c) => [
      c.id,
      { id: c.id, promptId: c.promptId, imageIds: c.images.map((i) => i.id), goldImageId: c.goldImageId },
    ]),
  );
  const judgments =
    comparisons.length > PER_ITEM_LIMIT
      ? await library.judgments.list()
      : (await Promise.all(comparisons.map((c) => library.judgments.list({ comparisonId: c.id })))).flat();
  const labels = new Map<number, number>();
  for (const j of judgments)
    if (j.kind !== 'skip') labels.set(j.comparisonId, (labels.get(j.comparisonId) ?? 0) + 1);
  const agreement = itemAgreement(ratingsFromJudgments(judgments, views));
  return comparisons.map((comparison) => {
    const best: Record<string, number> = {};
    for (const [model, byImage] of scores) {
      const values = comparison.images
        .map((image) => byImage.get(`${image.id}:${comparison.promptId}`))
        .filter((v): v is number => v !== undefined);
      if (values.length > 0) best[model] = Math.max(...values);
    }
    return {
      comparison,
      id: comparison.id,
      prompt: comparison.prompt,
      promptId: comparison.promptId,
      group: comparison.group,
      goldImageId: comparison.goldImageId,
      excluded: comparison.excluded,
      labels: labels.get(comparison.id) ?? 0,
      agreement: agreement.get(comparison.id)?.agreement ?? null,
      scores: best,
    };
  });
}

/** Up to this many comparisons, judgments are read per comparison instead of all at once. */
const PER_ITEM_LIMIT = 500;

/** Sorting by anything but import order, or filtering on a computed figure, needs every row summarized. */
const needsFullScan = (query: ParsedInput<'library.comparisons'>) =>
  query.sort !== 'id' ||
  query.maxAgreement !== undefined ||
  (query.scoreModel !== undefined && (query.minScore !== undefined || query.maxScore !== undefined));

async function curationPage(
  library: Library,
  query: ParsedInput<'library.comparisons'>,
): Promise<{ total: number; rows: Row[] }> {
  const filter = { text: query.text, tag: query.tag, state: query.state, gold: query.gold };
  if (!needsFullScan(query)) {
    // The default view pages in SQL and summarizes only the page.
    const total = await library.countComparisons(filter);
    const offset = query.descending ? Math.max(0, total - query.offset - query.limit) : query.offset;
    const limit = query.descending ? Math.min(query.limit, total - query.offset) : query.limit;
    const page = limit > 0 ? await library.listComparisons({ ...filter, offset, limit }) : [];
    if (query.descending) page.reverse();
    const scores = new Map<string, Map<string, number>>();
    for (const promptId of new Set(page.map((c) => c.promptId)))
      for (const [model, values] of await scoreIndex(library, promptId))
        scores.set(model, new Map([...(scores.get(model) ?? []), ...values]));
    return { total, rows: await summarize(library, page, scores) };
  }
  const all = await library.listComparisons(filter);
  const rows = (await summarize(library, all)).filter((row) => keep(row, query));
  const direction = query.descending ? -1 : 1;
  rows.sort((a, b) => {
    const ka = sortKey(a, query);
    const kb = sortKey(b, query);
    return (ka < kb ? -1 : ka > kb ? 1 : a.id - b.id) * direction;
  });
  return { total: rows.length, rows: rows.slice(query.offset, query.offset + query.limit) };
}

function keep(row: Row, query: ParsedInput<'library.comparisons'>): boolean {
  if (query.scoreModel && (query.minScore !== undefined || query.maxScore !== undefined)) {
    const score = row.scores[query.scoreModel];
    if (score === undefined) return false;
    if (query.minScore !== undefined && score < query.minScore) return false;
    if (query.maxScore !== undefined && score > query.maxScore) return false;
  }
  if (query.maxAgreement !== undefined && (row.agreement === null || row.agreement > query.maxAgreement))
    return false;
  return true;
}

function sortKey(row: Row, query: ParsedInput<'library.comparisons'>): number | string {
  switch (query.sort) {
    case 'prompt':
      return row.prompt.toLowerCase();
    case 'score':
      return query.scoreModel ? (row.scores[query.scoreModel] ?? Number.NEGATIVE_INFINITY) : row.id;
    case 'labels':
      return row.labels;
    case 'agreement':
      return row.agreement ?? Number.NEGATIVE_INFINITY;
    default:
      return row.id;
  }
}

export async function curationGrid(
  library: Library,
  query: ParsedInput<'library.comparisons'>,
): Promise<CallOutput<'library.comparisons'>> {
  const { total, rows } = await curationPage(library, query);
  const items = await Promise.all(
    rows.map(async ({ comparison, ...row }) => ({
      ...row,
      images: await Promise.all(comparison.images.map((image) => imageView(library, image, true))),
      tags: await library.tags.ofComparison(comparison.id),
    })),
  );
  return { total, items };
}

/** Images in more than one comparison, and comparisons of the same image set. */
export async function duplicates(library: Library): Promise<CallOutput<'library.duplicates'>> {
  const byImage = new Map<number, number[]>();
  const bySet = new Map<string, Comparison[]>();
  for (const comparison of await library.listComparisons()) {
    for (const image of comparison.images)
      byImage.set(image.id, [...(byImage.get(image.id) ?? []), comparison.id]);
    const signature = comparison.images
      .map((i) => i.id)
      .sort((a, b) => a - b)
      .join(',');
    bySet.set(signature, [...(bySet.get(signature) ?? []), comparison]);
  }
  const images = await Promise.all(
    [...byImage]
      .filter(([, ids]) => ids.length > 1)
      .map(async ([imageId, comparisonIds]) => ({
        image: await imageView(library, (await library.getImage(imageId))!, true),
        comparisonIds,
      })),
  );
  const comparisonSets = [...bySet.values()]
    .filter((list) => list.length > 1)
    .map((list) => ({ comparisonIds: list.map((c) => c.id), prompts: list.map((c) => c.prompt) }));
  return { images, comparisonSets };
}
