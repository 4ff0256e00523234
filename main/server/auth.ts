// The auth hook of browser/team mode. Every HTTP and WebSocket request goes through an Authenticator; the
// default (local use) treats every caller as the owner, which is safe because the server binds 127.0.0.1 and
// the request guard refuses foreign Host/Origin headers. Team mode (issue 5) supplies an Authenticator that
// maps annotator tokens to `{ role: 'annotator' }`; the dispatcher then allows only calls marked 'annotator'.
import type { AuthInfo } from '../api';
import { OWNER } from '../api';

export interface AuthRequest {
  /** From `Authorization: Bearer <token>`, or `?token=` for WebSocket and <img> URLs that cannot set headers. */
  token: string | undefined;
  ip: string;
}

/** Returns who is calling, or null to refuse with 401. */
export type Authenticator = (request: AuthRequest) => AuthInfo | null | Promise<AuthInfo | null>;

export const localOwner: Authenticator = () => OWNER;

export function tokenFrom(
  headers: Record<string, string | string[] | undefined>,
  url: string,
): string | undefined {
  const header = headers.authorization;
  if (typeof header === 'string' && header.startsWith('Bearer '))
    return header.slice('Bearer '.length).trim();
  const query = new URL(url, 'http://localhost').searchParams.get('token');
  return query ?? undefined;
}
