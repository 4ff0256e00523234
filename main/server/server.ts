// Browser/team mode transport: the same API handlers over HTTP (POST /api/<call>) and WebSocket
// (/api/events), plus the built renderer and library files. Binds 127.0.0.1 unless told otherwise.
import { createReadStream, existsSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import fastifyWebsocket from '@fastify/websocket';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { type Api, type ApiErrorCode, type AuthInfo, toApiError } from '../api';
import { APP_ROOT } from '../common/app-version';
import { CONTENT_SECURITY_POLICY_HEADER } from '../common/csp';
import { resolveInsideRoot } from '../common/paths';
import { type Authenticator, localOwner, tokenFrom } from './auth';
import { requestGuard } from './guard';

export interface ServerOptions {
  api: Api;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Folder with the built renderer (index.html); defaults to dist/renderer. */
  staticDir?: string;
  authenticate?: Authenticator;
}

const STATUS: Record<ApiErrorCode, number> = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  internal: 500,
};

const IMAGE_TYPES: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.gif': 'image/gif',
  '.avif': 'image/avif',
};

export async function createServer(options: ServerOptions): Promise<FastifyInstance> {
  const { api } = options;
  const host = options.host ?? '127.0.0.1';
  const authenticate = options.authenticate ?? localOwner;
  const staticDir = options.staticDir ?? fileURLToPath(new URL('dist/renderer/', APP_ROOT));
  const app = Fastify({ logger: false, bodyLimit: 16 * 1024 * 1024 });
  // Closing the server closes its studio: jobs cancelled, scorers' sessions, workers and the library closed.
  app.addHook('onClose', async () => {
    await api.app.close();
  });

  app.setErrorHandler((err: { statusCode?: number; message: string }, _request, reply) => {
    // Fastify's own errors (bad JSON, body too large) carry a 4xx statusCode; everything else is ours.
    const status = err.statusCode && err.statusCode < 500 ? err.statusCode : 500;
    void reply
      .code(status)
      .send({ error: { code: status < 500 ? 'bad_request' : 'internal', message: err.message } });
  });
  app.addHook('onRequest', requestGuard(host));
  app.addHook('onSend', async (_request, reply) => {
    reply.header('Content-Security-Policy', CONTENT_SECURITY_POLICY_HEADER);
    reply.header('X-Content-Type-Options', 'nosniff');
    reply.header('Referrer-Policy', 'no-referrer');
  });

  const authOf = async (request: FastifyRequest): Promise<AuthInfo | null> =>
    authenticate({ token: tokenFrom(request.headers, request.url), ip: request.ip });

  app.post<{ Params: { call: string } }>('/api/:call', async (request, reply) => {
    const auth = await authOf(request);
    if (!auth)
      return reply.code(401).send({ error: { code: 'unauthorized', message: 'missing or unknown token' } });
    try {
      return await api.call(request.params.call, request.body, auth);
    } catch (err) {
      const e = toApiError(err);
      return reply.code(STATUS[e.code]).send({ error: { code: e.code, message: e.message } });
    }
  });

  await app.register(fastifyWebsocket);
  // Refused before the upgrade, so a client without a valid token gets a plain HTTP 401.
  const refuseUnauthorized = async (request: FastifyRequest, reply: FastifyReply) => {
    if (!(await authOf(request)))
      return reply.code(401).send({ error: { code: 'unauthorized', message: 'missing or unknown token' } });
  };
  app.get('/api/events', { websocket: true, preValidation: refuseUnauthorized }, async (socket, request) => {
    const auth = await authOf(request);
    if (!auth) {
      socket.close(4401, 'unauthorized');
      return;
    }
    const unsubscribe = api.app.events.subscribe((message) => {
      // Annotators label blind: model scores never reach them, not even as events.
      if (auth.role === 'annotator' && message.event === 'score.updated') return;
      socket.send(JSON.stringify(message));
    });
    socket.on('close', unsubscribe);
  });

  app.get('/library-files/*', async (request, reply) => {
    if (!(await authOf(request)))
      return reply.code(401).send({ error: { code: 'unauthorized', message: 'missing or unknown token' } });
    const raw = request.url.slice('/library-files/'.length).split('?')[0]!;
    const resolved = resolveInsideRoot(api.app.libraryDir, raw);
    if (!resolved.ok) return reply.code(404).send({ error: { code: 'not_found', message: resolved.reason } });
    const type = IMAGE_TYPES[extname(resolved.path).toLowerCase()];
    if (!type) return reply.code(404).send({ error: { code: 'not_found', message: 'not an image file' } });
    return reply.type(type).send(createReadStream(resolved.path));
  });

  if (existsSync(join(staticDir, 'index.html'))) {
    await app.register(fastifyStatic, { root: staticDir, index: 'index.html', wildcard: false });
  } else {
    app.get('/', async (_request, reply) =>
      reply
        .code(503)
        .type('text/plain')
        .send(`The UI is not built (${staticDir} is missing): run \`npm run build:renderer\`.`),
    );
  }
  return app;
}

/** Starts listening and returns the URL to open. */
export async function startServer(options: ServerOptions): Promise<{ app: FastifyInstance; url: string }> {
  const app = await createServer(options);
  const host = options.host ?? '127.0.0.1';
  await app.listen({ host, port: options.port ?? 7860 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const shownHost =
    host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  return { app, url: `http://${shownHost}:${port}/` };
}
