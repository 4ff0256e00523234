// Protections a localhost server needs beyond auth: refuse DNS-rebinding (unknown Host header) and
// cross-site requests (Origin of another site), and require JSON bodies so a plain HTML form on another
// site cannot post to the API (a JSON content type forces a CORS preflight that we never answer).
import type { FastifyReply, FastifyRequest } from 'fastify';

const LOOPBACK_NAMES: ReadonlySet<string> = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_NAMES.has(host) || host.startsWith('127.');
}

function hostname(hostHeader: string): string {
  return hostHeader.startsWith('[')
    ? hostHeader.slice(0, hostHeader.indexOf(']') + 1)
    : hostHeader.split(':')[0]!;
}

/** `boundHost` is what the server listens on; on a wildcard address (team mode) any Host name is accepted. */
export function requestGuard(boundHost: string) {
  const wildcard = boundHost === '0.0.0.0' || boundHost === '::';
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const host = request.headers.host ?? '';
    if (!wildcard && !isLoopbackHost(hostname(host)) && hostname(host) !== boundHost) {
      return reply
        .code(403)
        .send({ error: { code: 'forbidden', message: `unexpected Host header "${host}"` } });
    }
    const origin = request.headers.origin;
    if (origin !== undefined && origin !== 'null') {
      let originHost = '';
      try {
        originHost = new URL(origin).host;
      } catch {
        // an unparsable Origin is treated like a foreign one
      }
      if (originHost !== host) {
        return reply
          .code(403)
          .send({ error: { code: 'forbidden', message: `cross-origin request from ${origin}` } });
      }
    }
    if (
      request.method === 'POST' &&
      !String(request.headers['content-type'] ?? '').startsWith('application/json')
    ) {
      return reply
        .code(415)
        .send({ error: { code: 'bad_request', message: 'API calls need Content-Type: application/json' } });
    }
  };
}
