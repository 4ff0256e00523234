import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** How the test server answers one path. */
export interface Route {
  body?: Uint8Array;
  /** Answer with this status and no body. */
  status?: number;
  /** Fail this many first requests with `status` (then serve normally). */
  failTimes?: number;
  etag?: string;
  /** false: ignore Range headers (always 200 with the full body). */
  ranges?: boolean;
  /** Drop the connection after sending this many body bytes… */
  dropAfter?: number;
  /** …on this many requests (default 1). */
  dropTimes?: number;
  chunkSize?: number;
  chunkDelayMs?: number;
}

export interface RecordedRequest {
  path: string;
  range: string | undefined;
  ifRange: string | undefined;
  status: number;
}

export interface TestServer {
  url(path: string): string;
  readonly requests: RecordedRequest[];
  close(): Promise<void>;
}

/** A node:http server on 127.0.0.1 (random port) with Range/If-Range support and scripted failures. */
export async function startServer(routes: Record<string, Route>): Promise<TestServer> {
  const requests: RecordedRequest[] = [];
  const counts = new Map<string, number>();
  const server = createServer((request, response) => {
    const path = request.url ?? '/';
    const count = (counts.get(path) ?? 0) + 1;
    counts.set(path, count);
    // Recorded on arrival, in request order; the status is filled in when the answer starts.
    const record: RecordedRequest = {
      path,
      range: request.headers.range,
      ifRange: request.headers['if-range'] as string | undefined,
      status: 0,
    };
    requests.push(record);
    void respond(routes[path], count, request, response, (status) => (record.status = status));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (path) => `http://127.0.0.1:${port}${path}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function respond(
  route: Route | undefined,
  count: number,
  request: IncomingMessage,
  response: ServerResponse,
  answered: (status: number) => void,
): Promise<void> {
  if (!route) return answered(end(response, 404));
  if (route.status !== undefined && count <= (route.failTimes ?? Infinity)) {
    return answered(end(response, route.status));
  }
  const body = route.body ?? new Uint8Array(0);
  const headers: Record<string, string | number> = { 'content-type': 'application/octet-stream' };
  if (route.etag) headers.etag = route.etag;
  let start = 0;
  let status = 200;
  const range = /^bytes=(\d+)-$/.exec(request.headers.range ?? '');
  const ifRange = request.headers['if-range'];
  if (range && route.ranges !== false && (!ifRange || ifRange === route.etag)) {
    start = Number(range[1]);
    if (start >= body.length) {
      response.writeHead(416, { 'content-range': `bytes */${body.length}` }).end();
      return answered(416);
    }
    status = 206;
    headers['content-range'] = `bytes ${start}-${body.length - 1}/${body.length}`;
  }
  if (route.ranges !== false) headers['accept-ranges'] = 'bytes';
  headers['content-length'] = body.length - start;
  response.writeHead(status, headers);
  answered(status);
  const drop = route.dropAfter !== undefined && count <= (route.dropTimes ?? 1) ? route.dropAfter : Infinity;
  const chunkSize = route.chunkSize ?? 16 * 1024;
  let sent = 0;
  for (let offset = start; offset < body.length; offset += chunkSize) {
    const chunk = body.subarray(offset, Math.min(offset + chunkSize, body.length, start + drop));
    if (chunk.length > 0) await new Promise<void>((resolve) => response.write(chunk, () => resolve()));
    sent += chunk.length;
    if (sent >= drop) {
      request.socket.destroy();
      return;
    }
    if (route.chunkDelayMs) await sleep(route.chunkDelayMs);
    if (response.destroyed) return;
  }
  response.end();
}

function end(response: ServerResponse, status: number): number {
  response.writeHead(status).end();
  return status;
}
