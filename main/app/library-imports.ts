// Imports into the library as jobs (folder, HPD, Pick-a-Pic, pairs), with each job's outcome kept for the
// report the dialog shows when it finishes.
import path from 'node:path';
import type { CallOutput, ParsedInput } from '../contract';
import { ApiError } from '../contract/errors';
import {
  importFolder,
  importHpd,
  importPairs,
  importPickapic,
  ImportSourceError,
  resolveImportSource,
  type ImportProgress,
  type Library,
} from '../services/library';
import type { App } from './app';

type ImportRequest = ParsedInput<'library.import'>;
type Outcome = CallOutput<'library.importReport'>;

export class LibraryImports {
  private readonly outcomes = new Map<string, Outcome>();

  constructor(private readonly app: App) {}

  start(input: ImportRequest): { jobId: string } {
    const request = checkedImportSource(input);
    const library = this.app.library;
    const { id, done } = this.app.jobs.start(
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
    this.outcomes.set(id, { report: null, error: null });
    done.then(
      (report) => this.outcomes.set(id, { report, error: null }),
      (err: unknown) => this.outcomes.set(id, { report: null, error: (err as Error).message ?? String(err) }),
    );
    return { jobId: id };
  }

  outcome(jobId: string): Outcome {
    const outcome = this.outcomes.get(jobId);
    if (!outcome) throw new ApiError('not_found', `no import job ${jobId}`);
    return outcome;
  }
}

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
