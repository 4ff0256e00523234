// Who is calling, and who that is in the library: the desktop user and a local browser are the owner; in team
// mode every request carries a token that names an annotator.
import type { Annotator, Library } from '../services/library';
import { ApiError } from '../contract/errors';

/** An admin's token in team mode is the owner with an annotator id (their labels are their own). */
export type AuthInfo = { role: 'owner'; annotatorId?: string } | { role: 'annotator'; annotatorId: string };

export const OWNER: AuthInfo = { role: 'owner' };

/** The desktop user (and a local browser without team mode) labels as this admin, who has no login. */
export const LOCAL_USER = 'Local user';

export async function callerAnnotator(library: Library, auth: AuthInfo): Promise<Annotator> {
  if (auth.annotatorId !== undefined) {
    const annotator = await library.annotators.get(Number(auth.annotatorId));
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
export function teamAuthenticator(library: () => Library) {
  return async ({ token }: { token: string | undefined }): Promise<AuthInfo | null> => {
    const annotator = token ? await library().annotators.authenticate(token) : null;
    if (annotator) {
      return annotator.role === 'admin'
        ? { role: 'owner', annotatorId: String(annotator.id) }
        : { role: 'annotator', annotatorId: String(annotator.id) };
    }
    return (await hasLogins(library())) ? null : { role: 'owner' };
  };
}

async function hasLogins(library: Library): Promise<boolean> {
  return (await library.annotators.list()).some((a) => a.canLogin);
}
