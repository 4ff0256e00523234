// Path containment for anything that maps a request path onto the library folder (the Electron
// `hps-image://` protocol and the browser-mode `/library-files/*` route share this one function).
import { realpathSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';

export type ContainedPath = { ok: true; path: string } | { ok: false; reason: string };

/**
 * Resolves `requestPath` (the still percent-encoded path part of a URL, relative to `root`) to a real
 * file path inside `root`, or says why it refuses. Decodes exactly once, rejects NUL bytes, backslashes,
 * absolute paths, drive letters and `.`/`..` segments, then follows symlinks and checks the real path is
 * still under the real root. The file must exist (realpath needs it).
 */
export function resolveInsideRoot(root: string, requestPath: string): ContainedPath {
  let decoded: string;
  try {
    decoded = decodeURIComponent(requestPath);
  } catch {
    return { ok: false, reason: 'malformed percent-encoding' };
  }
  if (decoded.includes('\0')) return { ok: false, reason: 'NUL byte in path' };
  if (decoded.includes('\\')) return { ok: false, reason: 'backslash in path' };
  if (decoded.startsWith('/') || isAbsolute(decoded) || /^[a-zA-Z]:/.test(decoded)) {
    return { ok: false, reason: 'absolute path' };
  }
  const segments = decoded.split('/');
  if (segments.some((s) => s === '..' || s === '.')) return { ok: false, reason: 'relative segment in path' };
  if (segments.some((s) => s === '')) return { ok: false, reason: 'empty segment in path' };

  let realRoot: string;
  let realTarget: string;
  try {
    realRoot = realpathSync(root);
  } catch {
    return { ok: false, reason: 'library folder does not exist' };
  }
  try {
    realTarget = realpathSync(resolve(realRoot, ...segments));
  } catch {
    return { ok: false, reason: 'file not found' };
  }
  if (!isWithin(realRoot, realTarget)) return { ok: false, reason: 'path leaves the library folder' };
  return { ok: true, path: realTarget };
}

/** True when `child` is `parent` itself or lies below it (both already resolved). */
export function isWithin(parent: string, child: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith('..' + sep) && rel !== '..' && !isAbsolute(rel));
}
