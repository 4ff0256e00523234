import { mkdirSync } from 'node:fs';
import path from 'node:path';
import {
  exportHpdV2,
  exportPairs,
  exportPickapic,
  exportScoresCsv,
  importFolder,
  importHpd,
  importPairs,
  importPickapic,
  ImportSourceError,
  resolveImportSource,
  type Comparison,
  type ImportProgress,
  type ImportReport,
  type Library,
} from '../../services/library';
import { itemAgreement, ratingsFromJudgments } from '../../services/evaluation';
import type { CallOutput, ParsedInput } from '../../contract';
import { ApiError } from '../../contract/errors';
import { callerAnnotator, libraryAt } from '../library-access';
import { ScorerService } from '../scorer-service';
import { imageView, orderScorers, scoreIndex } from './library-views';
import type { Handlers } from './types';

/** Import outcomes by job id, for the report the dialog shows when the job finishes. */
const importOutcomes = new Map<string, { report: ImportReport | null; error: string | null }>();

function runImport(
  library: Library,
  request: ParsedInput<'library.import'>,
  job: { signal: AbortSignal; progress: (f: number, m?: string) => void },
) {
  const onProgress = ({ done, total, file }: ImportProgress) =>
    job.progress(
      total > 0 ? done / total : 0,
      `${done} / ${total}${file ? ` · ${path.basename(file)}` : ''}`,
    );
  const options = { onProgress, signal: job.signal };
  switch (request.format) {
    case 'folder':
      return importFolder(library, request.folder, request.prompts, { ...options, split: request.split });
    case 'hpd':
      return importHpd(library, request.file, { ...options, imageRoot: request.imageRoot });
    case 'pickapic':
      return importPickapic(library, request.file, options);
    case 'pairs':
      return importPairs(library, request.file, options);
  }
}

/** The request with its paths resolved and checked, or a 400 that says which path is wrong. */
function checkedImportSource(request: ParsedInput<'library.import'>): ParsedInput<'library.import'> {
  try {
    return resolveImportSource(request);
  } catch (err) {
    if (err instanceof ImportSourceError) throw new ApiError('bad_request', err.message);
    throw err;
  }
}

function importTitle(request: ParsedInput<'library.import'>): string {
  return request.format === 'folder'
    ? `Import ${path.basename(request.folder)}`
    : `Import ${request.format} ${path.basename(request.file)}`;
}

type CurationItem = CallOutput<'library.comparisons'>['items'][number];
type Row = Omit<CurationItem, 'images' | 'tags'> & { comparison: Comparison };

/** Labels, agreement and best score per scorer of some comparisons, from their own judgments and scores. */
function summarize(
  library: Library,
  comparisons: readonly Comparison[],
  scores = scoreIndex(library),
): Row[] {
  const views = new Map(
    comparisons.map((c) => [
      c.id,
      { id: c.id, promptId: c.promptId, imageIds: c.images.map((i) => i.id), goldImageId: c.goldImageId },
    ]),
  );
  const judgments =
    comparisons.length > PER_ITEM_LIMIT
      ? library.judgments.list()
      : comparisons.flatMap((c) => library.judgments.list({ comparisonId: c.id }));
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

function curationPage(
  library: Library,
  query: ParsedInput<'library.comparisons'>,
): { total: number; rows: Row[] } {
  const filter = { text: query.text, tag: query.tag, state: query.state, gold: query.gold };
  if (!needsFullScan(query)) {
    // The default view pages in SQL and summarizes only the page.
    const total = library.countComparisons(filter);
    const offset = query.descending ? Math.max(0, total - query.offset - query.limit) : query.offset;
    const limit = query.descending ? Math.min(query.limit, total - query.offset) : query.limit;
    const page = limit > 0 ? library.listComparisons({ ...filter, offset, limit }) : [];
    if (query.descending) page.reverse();
    const scores = new Map<string, Map<string, number>>();
    for (const promptId of new Set(page.map((c) => c.promptId)))
      for (const [model, values] of scoreIndex(library, promptId))
        scores.set(model, new Map([...(scores.get(model) ?? []), ...values]));
    return { total, rows: summarize(library, page, scores) };
  }
  const rows = summarize(library, library.listComparisons(filter)).filter((row) => keep(row, query));
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

function bulk(library: Library, ids: readonly number[], work: (id: number) => void): number {
  return library.transaction(() => {
    let changed = 0;
    for (const id of ids) {
      if (!library.getComparison(id)) continue;
      work(id);
      changed++;
    }
    return changed;
  });
}

const failAsBadRequest = <T>(work: () => T): T => {
  try {
    return work();
  } catch (err) {
    throw new ApiError('bad_request', (err as Error).message);
  }
};

export const libraryHandlers = {
  'library.status': async (_input, ctx) => {
    const library = libraryAt(ctx.libraryDir);
    const me = callerAnnotator(library, ctx.auth);
    return {
      me: { annotatorId: me.id, name: me.name, role: ctx.auth.role === 'annotator' ? 'annotator' : 'admin' },
      stats: library.stats(),
      // Loaded scorers too: their chips show as pending until the background job reaches the image.
      scorers: orderScorers([
        ...new Set([
          ...library.catalog.scoredModels(),
          ...ScorerService.of(ctx)
            .list()
            .map((s) => s.id),
        ]),
      ]),
      tags: library.catalog.tags(),
    };
  },

  'library.import': async (input, ctx) => {
    const request = checkedImportSource(input);
    const library = libraryAt(ctx.libraryDir);
    const { id, done } = ctx.jobs.start(
      { kind: 'library.import', title: importTitle(request) },
      async (job) => {
        const report = await runImport(library, request, job);
        job.progress(
          1,
          `${report.imagesAdded} images, ${report.comparisonsAdded} comparisons added · ${report.errors.length} errors`,
        );
        return report;
      },
    );
    importOutcomes.set(id, { report: null, error: null });
    done.then(
      (report) => importOutcomes.set(id, { report, error: null }),
      (err: unknown) =>
        importOutcomes.set(id, { report: null, error: (err as Error).message ?? String(err) }),
    );
    return { jobId: id };
  },

  'library.importReport': async ({ jobId }) => {
    const outcome = importOutcomes.get(jobId);
    if (!outcome) throw new ApiError('not_found', `no import job ${jobId}`);
    return outcome;
  },

  'library.export': async ({ format, out, modelId }, ctx) => {
    const library = libraryAt(ctx.libraryDir);
    const file = path.resolve(out);
    mkdirSync(path.dirname(file), { recursive: true });
    return failAsBadRequest(() => {
      switch (format) {
        case 'pairs-jsonl':
          return exportPairs(library, file);
        case 'hpd-v2':
          return exportHpdV2(library, file);
        case 'pickapic':
          return exportPickapic(library, file);
        case 'scores-csv':
          return exportScoresCsv(library, file, modelId ? { modelId } : {});
      }
    });
  },

  'library.comparisons': async (query, ctx) => {
    const library = libraryAt(ctx.libraryDir);
    const { total, rows } = curationPage(library, query);
    const items = await Promise.all(
      rows.map(async ({ comparison, ...row }) => ({
        ...row,
        images: await Promise.all(comparison.images.map((image) => imageView(library, image, true))),
        tags: library.catalog.comparisonTags(comparison.id),
      })),
    );
    return { total, items };
  },

  'library.tag': async ({ comparisonIds, tag, remove }, ctx) => {
    const library = libraryAt(ctx.libraryDir);
    const existing = comparisonIds.filter((id) => library.getComparison(id));
    if (remove) library.catalog.untagComparisons(existing, tag);
    else library.catalog.tagComparisons(existing, tag);
    return { changed: existing.length };
  },

  'library.exclude': async ({ comparisonIds, excluded }, ctx) => {
    const library = libraryAt(ctx.libraryDir);
    return { changed: bulk(library, comparisonIds, (id) => library.setExcluded(id, excluded)) };
  },

  'library.delete': async ({ comparisonIds }, ctx) => {
    const library = libraryAt(ctx.libraryDir);
    return { deleted: bulk(library, comparisonIds, (id) => library.deleteComparison(id)) };
  },

  'library.setGold': async ({ comparisonId, imageId }, ctx) => {
    const library = libraryAt(ctx.libraryDir);
    failAsBadRequest(() => library.setGold(comparisonId, imageId));
    return { ok: true as const };
  },

  'library.duplicates': async (_input, ctx) => {
    const library = libraryAt(ctx.libraryDir);
    const byImage = new Map<number, number[]>();
    const bySet = new Map<string, Comparison[]>();
    for (const comparison of library.listComparisons()) {
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
          image: await imageView(library, library.getImage(imageId)!, true),
          comparisonIds,
        })),
    );
    const comparisonSets = [...bySet.values()]
      .filter((list) => list.length > 1)
      .map((list) => ({ comparisonIds: list.map((c) => c.id), prompts: list.map((c) => c.prompt) }));
    return { images, comparisonSets };
  },
} satisfies Partial<Handlers>;
