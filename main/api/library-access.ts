// One open Library per library folder per process (handlers and the team-mode authenticator share it), and
// who the caller is in it.
import path from 'node:path';
import { Library, type Annotator } from '../services/library';
import type { AuthInfo } from './context';
import { ApiError } from '../contract/errors';

const open = new Map<string, Library>();

export function libraryAt(dir: string): Library {
  const key = path.resolve(dir);
  let library = open.get(key);
  if (!library) {
    library = Library.open(key);
    open.set(key, library);
  }
  return library;
}

/** Closes the library of one folder if it is open (an API instance shutting down). */
export function closeLibraryAt(dir: string): void {
  const key = path.resolve(dir);
  open.get(key)?.close();
  open.delete(key);
}

/** Closes every library this process opened (tests, shutdown). */
export function closeLibraries(): void {
  for (const library of open.values()) library.close();
  open.clear();
}

/** The desktop user (and a local browser without team mode) labels as this admin, who has no login. */
export const LOCAL_USER = 'Local user';

export function callerAnnotator(library: Library, auth: AuthInfo): Annotator {
  if (auth.annotatorId !== undefined) {
    const annotator = library.annotators.get(Number(auth.annotatorId));
    if (!annotator) throw new ApiError('unauthorized', 'the annotator of this token no longer exists');
    return annotator;
  }
  // Without a token hash: the local user can never log in over the network, and does not switch team
  // mode on (only annotators who can log in do).
  return library.annotators.ensureImported(LOCAL_USER);
}

/**
 * Team mode: once a library has an annotator who can log in, every request needs a token; an admin's token
 * acts as the owner, an annotator's may only label. A library without logins stays single-user (loopback only).
 */
export function teamAuthenticator(libraryDir: string) {
  return ({ token }: { token: string | undefined }): AuthInfo | null => {
    const library = libraryAt(libraryDir);
    const annotator = token ? library.annotators.authenticate(token) : null;
    if (annotator) {
      return annotator.role === 'admin'
        ? { role: 'owner', annotatorId: String(annotator.id) }
        : { role: 'annotator', annotatorId: String(annotator.id) };
    }
    return hasLogins(library) ? null : { role: 'owner' };
  };
}

function hasLogins(library: Library): boolean {
  return library.annotators.list().some((a) => a.canLogin);
}
