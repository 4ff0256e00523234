// Custom protocols: `app://studio/` serves the built renderer (a real origin instead of file://), and
// `hps-image://library/<path>` serves library files. Both map URLs to files only through resolveInsideRoot.
import { pathToFileURL } from 'node:url';
import { net, protocol } from 'electron';
import { IMAGE_PROTOCOL } from '../main/contract/bridge';
import { CONTENT_SECURITY_POLICY_HEADER } from '../main/common/csp';
import { resolveInsideRoot } from '../main/common/paths';

export const APP_SCHEME = 'app';
export const APP_HOST = 'studio';
export const APP_URL = `${APP_SCHEME}://${APP_HOST}/index.html`;

/** Must run before the app is ready. */
export function registerSchemes(): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
    {
      scheme: IMAGE_PROTOCOL,
      privileges: { standard: true, secure: true, supportFetchAPI: true, stream: true },
    },
  ]);
}

function notFound(reason: string): Response {
  return new Response(reason, { status: 404, headers: { 'content-type': 'text/plain' } });
}

async function serveFile(root: string, requestUrl: string, expectedHost: string): Promise<Response> {
  const url = new URL(requestUrl);
  if (url.host !== expectedHost) return notFound('unknown host');
  // url.pathname keeps percent-encoding; resolveInsideRoot decodes it exactly once.
  const relative = url.pathname === '/' ? 'index.html' : url.pathname.slice(1);
  const resolved = resolveInsideRoot(root, relative);
  if (!resolved.ok) return notFound(resolved.reason);
  const file = await net.fetch(pathToFileURL(resolved.path).href);
  const headers = new Headers(file.headers);
  headers.set('Content-Security-Policy', CONTENT_SECURITY_POLICY_HEADER);
  headers.set('X-Content-Type-Options', 'nosniff');
  return new Response(file.body, { status: file.status, headers });
}

export function handleProtocols(rendererDir: string, libraryDir: string): void {
  protocol.handle(APP_SCHEME, (request) => serveFile(rendererDir, request.url, APP_HOST));
  protocol.handle(IMAGE_PROTOCOL, (request) => serveFile(libraryDir, request.url, 'library'));
}

/** True for frames showing our own UI (the only ones allowed to call the API). */
export function isAppUrl(raw: string): boolean {
  try {
    const url = new URL(raw);
    return url.protocol === `${APP_SCHEME}:` && url.host === APP_HOST;
  } catch {
    return false;
  }
}
