import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApi, createApp, type EventMessage } from '../../main/api';
import { createServer, startServer } from '../../main/server';

let base: string;
let app: FastifyInstance;
let url: string;
const services = () =>
  createApp({
    libraryDir: join(base, 'library'),
    info: { version: '9.9.9', mode: 'serve', electron: null },
  });
let api: ReturnType<typeof createApi>;

beforeAll(async () => {
  base = mkdtempSync(join(tmpdir(), 'hps-http-'));
  mkdirSync(join(base, 'library', 'images'), { recursive: true });
  writeFileSync(join(base, 'library', 'images', 'a.png'), 'png bytes');
  writeFileSync(join(base, 'secret.png'), 'outside');
  api = createApi(await services());
  ({ app, url } = await startServer({ api, port: 0, staticDir: join(base, 'no-ui') }));
});

afterAll(async () => {
  await app.close();
  rmSync(base, { recursive: true, force: true });
});

const post = (call: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(new URL(`api/${call}`, url), {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

describe('HTTP transport', () => {
  it('binds 127.0.0.1 and answers system.info from the handlers', async () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const res = await post('system.info', {});
    expect(res.status).toBe(200);
    const info = await res.json();
    expect(info).toMatchObject({
      appVersion: '9.9.9',
      mode: 'serve',
      node: process.versions.node,
      libraryDir: join(base, 'library'),
    });
    expect(info.onnxruntime).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('rejects bad input with 400 and a message naming the field', async () => {
    const res = await post('jobs.cancel', { id: 42 });
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body.error.code).toBe('bad_request');
    expect(body.error.message).toMatch(/jobs\.cancel/);
    expect(body.error.message).toMatch(/id/);
    expect((await post('system.info', { extra: true })).status).toBe(400);
  });

  it('rejects malformed JSON with 400 and unknown calls with 404', async () => {
    const res = await fetch(new URL('api/system.info', url), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{',
    });
    expect(res.status).toBe(400);
    expect((await res.json()).error.message).toMatch(/JSON/i);
    expect((await post('system.nope', {})).status).toBe(404);
  });

  it('refuses non-JSON posts, foreign origins and foreign Host headers', async () => {
    const form = await fetch(new URL('api/system.info', url), {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: '{}',
    });
    expect(form.status).toBe(415);
    expect((await post('system.info', {}, { origin: 'https://evil.example' })).status).toBe(403);
    const rebound = await app.inject({
      method: 'POST',
      url: '/api/system.info',
      headers: { host: 'evil.example:80', 'content-type': 'application/json' },
      payload: '{}',
    });
    expect(rebound.statusCode).toBe(403);
    const sameOrigin = await post('system.info', {}, { origin: url.replace(/\/$/, '') });
    expect(sameOrigin.status).toBe(200);
  });

  it('lists and cancels jobs', async () => {
    const { id } = api.app.jobs.start(
      { kind: 'test', title: 'waits' },
      (ctx) => new Promise((_, reject) => ctx.signal.addEventListener('abort', reject)),
    );
    const listed = await (await post('jobs.list', {})).json();
    expect(listed.jobs[0]).toMatchObject({ id, status: 'running' });
    expect(await (await post('jobs.cancel', { id })).json()).toEqual({ cancelled: true });
    expect(api.app.jobs.get(id)?.status).toBe('cancelled');
  });

  it('pushes job.progress events over the /api/events WebSocket', async () => {
    const ws = await app.injectWS('/api/events', { headers: { host: '127.0.0.1' } });
    const received: EventMessage[] = [];
    const finished = new Promise<void>((resolve) =>
      ws.on('message', (data: Buffer) => {
        const message = JSON.parse(data.toString()) as EventMessage;
        received.push(message);
        if (message.event === 'job.progress' && message.payload.status === 'done') resolve();
      }),
    );
    const { id } = api.app.jobs.start({ kind: 'test', title: 'ws' }, async (ctx) =>
      ctx.progress(0.5, 'half'),
    );
    await finished;
    ws.terminate();
    expect(received.every((m) => m.event === 'job.progress' && m.payload.id === id)).toBe(true);
    expect(received.map((m) => m.event === 'job.progress' && m.payload.status)).toEqual(['running', 'done']);
  });

  it('refuses a WebSocket from a foreign origin', async () => {
    await expect(
      app.injectWS('/api/events', { headers: { host: '127.0.0.1', origin: 'https://evil.example' } }),
    ).rejects.toThrow(/403/);
  });

  it('serves library images and refuses paths outside the library', async () => {
    const ok = await app.inject({ url: '/library-files/images/a.png' });
    expect(ok.statusCode).toBe(200);
    expect(ok.headers['content-type']).toBe('image/png');
    expect(ok.body).toBe('png bytes');
    for (const bad of [
      '../secret.png',
      '%2e%2e/secret.png',
      'images/%2E%2E/%2e%2e/secret.png',
      '%2F' + encodeURIComponent(join(base, 'secret.png')),
      'images/a.png%00',
    ]) {
      const res = await app.inject({ url: `/library-files/${bad}` });
      expect(res.statusCode, bad).toBe(404);
      expect(res.body).not.toContain('outside');
    }
  });

  it('tells the user to build the UI when dist/renderer is missing, with a CSP header', async () => {
    const res = await fetch(url);
    expect(res.status).toBe(503);
    expect(await res.text()).toMatch(/npm run build:renderer/);
    expect(res.headers.get('content-security-policy')).toMatch(/default-src 'self'/);
  });
});

describe('auth hook', () => {
  it('refuses requests the authenticator rejects and limits annotators to annotator calls', async () => {
    const server = await createServer({
      api: createApi(await services()),
      authenticate: ({ token }) =>
        token === 'owner'
          ? { role: 'owner' }
          : token === 'ann'
            ? { role: 'annotator', annotatorId: 'a1' }
            : null,
    });
    const call = (token?: string) =>
      server.inject({
        method: 'POST',
        url: '/api/system.info',
        headers: {
          'content-type': 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        payload: '{}',
      });
    expect((await call()).statusCode).toBe(401);
    expect((await call('wrong')).statusCode).toBe(401);
    expect((await call('ann')).statusCode).toBe(403);
    expect((await call('owner')).statusCode).toBe(200);
    await server.close();
  });
});
