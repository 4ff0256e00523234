import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  DownloadError,
  discardPartial,
  downloadFile,
  partPaths,
  type DownloadProgress,
} from '../../main/services/model-store';
import { startServer, type Route, type TestServer } from './http-server';

const body = new Uint8Array(randomBytes(300 * 1024));
const sha256 = createHash('sha256').update(body).digest('hex');
const fast = { retries: 2, retryDelayMs: 1, progressIntervalMs: 0 };

let dir: string;
let server: TestServer | undefined;
let counter = 0;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hps-download-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function serve(routes: Record<string, Route>): Promise<TestServer> {
  server = await startServer(routes);
  return server;
}

function destination(): string {
  counter += 1;
  return join(dir, `model-${counter}`, 'weights.bin');
}

async function failure(promise: Promise<unknown>): Promise<DownloadError> {
  const error = await promise.then(
    () => new Error('expected the download to fail'),
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(DownloadError);
  return error as DownloadError;
}

describe('downloadFile', () => {
  it('downloads, verifies sha256 and reports monotonic progress', async () => {
    const { url } = await serve({ '/w': { body, etag: '"v1"' } });
    const target = destination();
    const events: DownloadProgress[] = [];
    const result = await downloadFile({
      urls: [url('/w')],
      destination: target,
      size: body.length,
      sha256,
      onProgress: (p) => events.push(p),
      ...fast,
    });
    expect(result).toMatchObject({ path: target, bytes: body.length, sha256 });
    expect(Buffer.from(await readFile(target)).equals(Buffer.from(body))).toBe(true);
    expect(existsSync(partPaths(target).part) || existsSync(partPaths(target).info)).toBe(false);
    expect(events.length).toBeGreaterThan(1);
    expect(events.map((event) => event.bytes)).toEqual(
      [...events.map((event) => event.bytes)].sort((a, b) => a - b),
    );
    expect(events.at(-1)).toMatchObject({ bytes: body.length, total: body.length });
    expect(events.at(-1)!.bytesPerSecond).toBeGreaterThan(0);
  });

  it('resumes with a Range request after the connection drops midway', async () => {
    const server = await serve({ '/w': { body, etag: '"v1"', dropAfter: 100 * 1024 } });
    const target = destination();
    await downloadFile({ urls: [server.url('/w')], destination: target, sha256, ...fast });
    expect(Buffer.from(await readFile(target)).equals(Buffer.from(body))).toBe(true);
    expect(server.requests.map((request) => request.range)).toEqual([undefined, `bytes=${100 * 1024}-`]);
    expect(server.requests[1]).toMatchObject({ ifRange: '"v1"', status: 206 });
  });

  it('pauses on abort keeping the .part file, and a second call resumes it', async () => {
    const server = await serve({ '/w': { body, etag: '"v1"', chunkSize: 8 * 1024, chunkDelayMs: 5 } });
    const target = destination();
    const controller = new AbortController();
    const paused = await failure(
      downloadFile({
        urls: [server.url('/w')],
        destination: target,
        sha256,
        signal: controller.signal,
        onProgress: (p) => p.bytes >= 64 * 1024 && controller.abort(),
        ...fast,
      }),
    );
    expect(paused.kind).toBe('aborted');
    const kept = (await stat(partPaths(target).part)).size;
    expect(kept).toBeGreaterThanOrEqual(64 * 1024);
    expect(kept).toBeLessThan(body.length);
    expect(existsSync(target)).toBe(false);

    await downloadFile({ urls: [server.url('/w')], destination: target, sha256, ...fast });
    expect(Buffer.from(await readFile(target)).equals(Buffer.from(body))).toBe(true);
    expect(server.requests.at(-1)!.range).toBe(`bytes=${kept}-`);
  });

  it('cancel = discardPartial: the next download starts from zero', async () => {
    const server = await serve({ '/w': { body, dropAfter: 50 * 1024 } });
    const target = destination();
    await failure(downloadFile({ urls: [server.url('/w')], destination: target, ...fast, retries: 0 }));
    expect(existsSync(partPaths(target).part)).toBe(true);
    await discardPartial(target);
    expect(existsSync(partPaths(target).part)).toBe(false);
    await downloadFile({ urls: [server.url('/w')], destination: target, sha256, ...fast });
    expect(server.requests.at(-1)!.range).toBeUndefined();
  });

  it('restarts from zero when the server file changed (If-Range) or the server ignores ranges', async () => {
    const changed = await serve({ '/w': { body, etag: '"v2"' }, '/plain': { body, ranges: false } });
    for (const path of ['/w', '/plain']) {
      const target = destination();
      const { part, info } = partPaths(target);
      await downloadFile({ urls: [changed.url(path)], destination: target, ...fast }).then(() => rm(target));
      // Leave a stale half-file from an older version of the remote file.
      await writeFile(part, randomBytes(1000));
      await writeFile(
        info,
        JSON.stringify({ url: changed.url(path), total: body.length, validator: '"v1"' }),
      );
      await downloadFile({ urls: [changed.url(path)], destination: target, sha256, ...fast });
      expect(Buffer.from(await readFile(target)).equals(Buffer.from(body)), path).toBe(true);
      expect(changed.requests.at(-1)).toMatchObject({ range: 'bytes=1000-', status: 200 });
    }
  });

  it('404 → not-found naming the URL, and nothing is left behind', async () => {
    const { url } = await serve({});
    const target = destination();
    const error = await failure(downloadFile({ urls: [url('/nope')], destination: target, ...fast }));
    expect(error).toMatchObject({ kind: 'not-found', status: 404 });
    expect(error.message).toContain(`${url('/nope')} was not found (HTTP 404)`);
    expect(existsSync(target) || existsSync(partPaths(target).part)).toBe(false);
  });

  it('falls back to a mirror when the first URL fails', async () => {
    const { url } = await serve({ '/mirror': { body } });
    const result = await downloadFile({
      urls: [url('/gone'), url('/mirror')],
      destination: destination(),
      sha256,
      ...fast,
    });
    expect(result.url).toBe(url('/mirror'));
  });

  it('wrong bytes → checksum error, the bad file deleted', async () => {
    const { url } = await serve({ '/w': { body: new Uint8Array(randomBytes(body.length)) } });
    const target = destination();
    const error = await failure(downloadFile({ urls: [url('/w')], destination: target, sha256, ...fast }));
    expect(error.kind).toBe('checksum');
    expect(error.message).toMatch(
      new RegExp(`checksum mismatch .*expected ${sha256}; the download was deleted`),
    );
    expect(existsSync(target) || existsSync(partPaths(target).part)).toBe(false);
  });

  it('a size that differs from the catalog is refused before downloading', async () => {
    const { url } = await serve({ '/w': { body } });
    const target = destination();
    const error = await failure(
      downloadFile({ urls: [url('/w')], destination: target, size: body.length + 1, ...fast }),
    );
    expect(error.kind).toBe('size');
    expect(error.message).toContain(`is ${body.length} bytes but the catalog expects ${body.length + 1}`);
  });

  it('retries server errors (5xx) and gives up with a network error when nothing answers', async () => {
    const flaky = await serve({ '/w': { body, status: 503, failTimes: 2 } });
    await downloadFile({ urls: [flaky.url('/w')], destination: destination(), sha256, ...fast });
    expect(flaky.requests.map((request) => request.status)).toEqual([503, 503, 200]);
    const deadUrl = flaky.url('/w');
    await flaky.close();
    server = undefined;
    const error = await failure(
      downloadFile({ urls: [deadUrl], destination: destination(), ...fast, retries: 1 }),
    );
    expect(error.kind).toBe('network');
    expect(error.message).toMatch(/network error downloading .*ECONNREFUSED/);
  });

  it('disk full: refused up front when free space is short, and ENOSPC while writing keeps the .part', async () => {
    const { url } = await serve({ '/w': { body } });
    const target = destination();
    const early = await failure(
      downloadFile({ urls: [url('/w')], destination: target, ...fast, freeSpace: async () => 10 }),
    );
    expect(early.kind).toBe('disk-full');
    expect(early.message).toContain(`${body.length} bytes needed, 10 free`);

    if (!existsSync('/dev/full')) return; // the ENOSPC half needs Linux's /dev/full
    const full = destination();
    await downloadFile({ urls: [url('/w')], destination: full, ...fast }).then(() => rm(full));
    await symlink('/dev/full', partPaths(full).part);
    const late = await failure(downloadFile({ urls: [url('/w')], destination: full, ...fast }));
    expect(late.kind).toBe('disk-full');
    expect(late.message).toMatch(/disk full while writing/);
  });
});
