// Where an import reads from, checked before its job starts, so a wrong path is one clear message instead of
// a failed job. The import dialog's paths are on the machine running the studio, whose working directory
// means nothing to the user: the folder or file must be a full path, and a relative prompts file or HPD
// image root is read from beside the data it belongs to.
import { statSync } from 'node:fs';
import path from 'node:path';

export type ImportSource =
  | { format: 'folder'; folder: string; prompts: string; split: 'group' | 'pairs' }
  | { format: 'hpd'; file: string; imageRoot?: string }
  | { format: 'pickapic'; file: string }
  | { format: 'pairs'; file: string };

export class ImportSourceError extends Error {
  override name = 'ImportSourceError';
}

function kindOf(p: string): 'file' | 'folder' | null {
  try {
    const s = statSync(p);
    return s.isDirectory() ? 'folder' : s.isFile() ? 'file' : null;
  } catch {
    return null;
  }
}

function fullPath(p: string, what: string): string {
  if (!path.isAbsolute(p))
    throw new ImportSourceError(
      `the ${what} must be a full path (e.g. ${path.resolve('/data', p)}), not "${p}"`,
    );
  return path.normalize(p);
}

function expect(p: string, kind: 'file' | 'folder', what: string, note = ''): string {
  const found = kindOf(p);
  if (found === kind) return p;
  throw new ImportSourceError(
    found ? `the ${what} ${p} is a ${found}, not a ${kind}` : `there is no ${what} at ${p}${note}`,
  );
}

/** The source with every path absolute and checked to exist; throws ImportSourceError saying what is wrong. */
export function resolveImportSource(source: ImportSource): ImportSource {
  if (source.format === 'folder') {
    const folder = expect(fullPath(source.folder, 'image folder'), 'folder', 'image folder');
    const relative = !path.isAbsolute(source.prompts);
    const prompts = expect(
      path.resolve(folder, source.prompts),
      'file',
      'prompts file',
      relative ? ' (a relative prompts path is read from the image folder)' : '',
    );
    return { ...source, folder, prompts };
  }
  const file = expect(fullPath(source.file, 'file'), 'file', 'file');
  if (source.format !== 'hpd' || source.imageRoot === undefined) return { ...source, file };
  const relative = !path.isAbsolute(source.imageRoot);
  const imageRoot = expect(
    path.resolve(path.dirname(file), source.imageRoot),
    'folder',
    'image root',
    relative ? ' (a relative image root is read from the JSON file’s folder)' : '',
  );
  return { ...source, file, imageRoot };
}
