import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import {
  mkdir,
  open,
  readFile,
  rename,
  rm,
  stat,
  statfs,
  writeFile,
  type FileHandle,
} from 'node:fs/promises';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DownloadError, isFinal } from './download-error';

export interface DownloadProgress {
  url: string;
  /** Bytes of the file on disk so far, resumed bytes included. */
  bytes: number;
  total: number | null;
  /** Average over this session of the download (resumed bytes excluded). */
  bytesPerSecond: number;
}

export interface DownloadOptions {
  /** Tried in order: a mirror is used when the previous URL fails (except for abort and disk-full). */
  urls: readonly string[];
  destination: string;
  /** Exact expected size; null/undefined = trust the server. */
  size?: number | null;
  /** Expected sha256 (hex); null/undefined = no hash check. */
  sha256?: string | null;
  /** Aborting pauses: the `.part` file stays, and the next call resumes it. */
  signal?: AbortSignal;
  onProgress?: (progress: DownloadProgress) => void;
  /** Extra request headers (e.g. an Authorization token for gated repositories). */
  headers?: Record<string, string>;
  /** Network failures are retried this many times per URL, resuming each time. */
  retries?: number;
  retryDelayMs?: number;
  progressIntervalMs?: number;
  /** Free bytes at a folder; injectable for tests. */
  freeSpace?: (folder: string) => Promise<number>;
}

export interface DownloadResult {
  path: string;
  bytes: number;
  sha256: string;
  url: string;
}

/** What we remember next to a `.part` file, so a resume asks for the same bytes of the same file. */
interface PartInfo {
  url: string;
  total: number | null;
  validator: string | null;
}

export function partPaths(destination: string): { part: string; info: string } {
  return { part: `${destination}.part`, info: `${destination}.part.json` };
}

/** Removes a paused download's leftovers (cancel). */
export async function discardPartial(destination: string): Promise<void> {
  const { part, info } = partPaths(destination);
  await Promise.all([rm(part, { force: true }), rm(info, { force: true })]);
}

/**
 * Downloads one file: resumable through HTTP Range into `<destination>.part`, verified (size, sha256) and then
 * renamed into place, so `destination` only ever holds a complete, checked file.
 */
export async function downloadFile(options: DownloadOptions): Promise<DownloadResult> {
  if (options.urls.length === 0)
    throw new DownloadError('not-found', `no URL to download ${options.destination} from`);
  await mkdir(dirname(options.destination), { recursive: true });
  const failures: DownloadError[] = [];
  for (const url of options.urls) {
    try {
      return await new SingleDownload(options, url).run();
    } catch (error) {
      const failure = asDownloadError(error, url, options.signal);
      if (isFinal(failure) || options.urls.length === 1) throw failure;
      failures.push(failure);
    }
  }
  const worst = failures.find((failure) => failure.kind === 'checksum') ?? failures.at(-1)!;
  throw new DownloadError(
    worst.kind,
    `every source failed:\n${failures.map((failure) => `  ${failure.message}`).join('\n')}`,
    worst.url,
    worst.status,
  );
}

function asDownloadError(error: unknown, url: string, signal: AbortSignal | undefined): DownloadError {
  if (error instanceof DownloadError) return error;
  if (signal?.aborted)
    return new DownloadError(
      'aborted',
      `download of ${url} paused: the partial file is kept for resuming`,
      url,
    );
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC')
    return new DownloadError('disk-full', `disk full while writing ${url}: free some space and resume`, url);
  const cause = (error as { cause?: { message?: string; code?: string } }).cause;
  const detail = cause?.code ?? cause?.message ?? (error as Error).message;
  return new DownloadError('network', `network error downloading ${url}: ${detail}`, url);
}

class SingleDownload {
  private readonly paths: { part: string; info: string };
  private readonly retries: number;

  constructor(
    private readonly options: DownloadOptions,
    private readonly url: string,
  ) {
    this.paths = partPaths(options.destination);
    this.retries = options.retries ?? 3;
  }

  async run(): Promise<DownloadResult> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.attempt();
      } catch (error) {
        const failure = asDownloadError(error, this.url, this.options.signal);
        const retryable =
          failure.kind === 'network' || (failure.kind === 'http' && (failure.status ?? 0) >= 500);
        if (!retryable || attempt >= this.retries) throw failure;
        await sleep((this.options.retryDelayMs ?? 1000) * 2 ** attempt, undefined, {
          signal: this.options.signal,
        }).catch(() => {
          throw new DownloadError(
            'aborted',
            `download of ${this.url} paused: the partial file is kept for resuming`,
            this.url,
          );
        });
      }
    }
  }

  private async attempt(): Promise<DownloadResult> {
    const expected = this.options.size ?? null;
    const resume = await this.resumableOffset();
    if (expected !== null && resume.offset === expected)
      return this.finish(await hashFile(this.paths.part), expected);
    const response = await this.request(resume.offset, resume.validator);
    const { offset, total } = await this.acceptResponse(response, resume.offset);
    if (expected !== null && total !== null && total !== expected) {
      await response.body?.cancel();
      throw new DownloadError(
        'size',
        `${this.url} is ${total} bytes but the catalog expects ${expected}: wrong or updated file`,
        this.url,
      );
    }
    const validator = response.headers.get('etag') ?? response.headers.get('last-modified');
    await writeFile(this.paths.info, JSON.stringify({ url: this.url, total, validator } satisfies PartInfo));
    await this.checkFreeSpace(total === null ? null : total - offset);
    const hash = offset > 0 ? await hashFile(this.paths.part) : createHash('sha256');
    const bytes = await this.receive(response, offset, total, hash);
    if (total !== null && bytes < total) {
      throw new DownloadError(
        'network',
        `connection to ${this.url} closed after ${bytes} of ${total} bytes`,
        this.url,
      );
    }
    return this.finish(hash, bytes);
  }

  /** Resumes only a `.part` that came from this URL (or any URL when a hash will check the result). */
  private async resumableOffset(): Promise<{ offset: number; validator: string | null }> {
    const size = await stat(this.paths.part).then(
      (stats) => stats.size,
      () => 0,
    );
    if (size === 0) return { offset: 0, validator: null };
    const info = await readFile(this.paths.info, 'utf8').then(
      (text) => JSON.parse(text) as PartInfo,
      () => null,
    );
    const sameSource = info !== null && (info.url === this.url || Boolean(this.options.sha256));
    const fits = this.options.size == null || size <= this.options.size;
    if (!sameSource || !fits) {
      await discardPartial(this.options.destination);
      return { offset: 0, validator: null };
    }
    return { offset: size, validator: info.validator };
  }

  private async request(offset: number, validator: string | null): Promise<Response> {
    const headers: Record<string, string> = { ...this.options.headers };
    if (offset > 0) {
      headers.range = `bytes=${offset}-`;
      // If the file changed on the server since the .part began, If-Range makes it send the whole new file.
      if (validator) headers['if-range'] = validator;
    }
    const response = await fetch(this.url, { headers, signal: this.options.signal, redirect: 'follow' });
    if (response.status === 404 || response.status === 410) {
      await response.body?.cancel();
      throw new DownloadError(
        'not-found',
        `${this.url} was not found (HTTP ${response.status})`,
        this.url,
        response.status,
      );
    }
    if (response.status === 401 || response.status === 403) {
      await response.body?.cancel();
      throw new DownloadError(
        'forbidden',
        `${this.url} refused access (HTTP ${response.status}): it may need a login token`,
        this.url,
        response.status,
      );
    }
    if (response.status === 416 && offset > 0) {
      // The server cannot serve our range (file shrank or changed): start over.
      await response.body?.cancel();
      await discardPartial(this.options.destination);
      throw new DownloadError('network', `${this.url} rejected the resume range; restarting`, this.url, 416);
    }
    if (response.status !== 200 && response.status !== 206) {
      await response.body?.cancel();
      throw new DownloadError(
        'http',
        `${this.url} answered HTTP ${response.status} ${response.statusText}`,
        this.url,
        response.status,
      );
    }
    return response;
  }

  /** Where the body starts and the full size: a 200 restarts from zero, a 206 must start exactly at our offset. */
  private async acceptResponse(
    response: Response,
    offset: number,
  ): Promise<{ offset: number; total: number | null }> {
    const length = Number(response.headers.get('content-length') ?? NaN);
    if (response.status === 200) {
      if (offset > 0) await discardPartial(this.options.destination);
      return { offset: 0, total: Number.isFinite(length) ? length : null };
    }
    const range = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(response.headers.get('content-range') ?? '');
    if (!range || Number(range[1]) !== offset) {
      await response.body?.cancel();
      await discardPartial(this.options.destination);
      throw new DownloadError(
        'network',
        `${this.url} answered the resume with a different range; restarting`,
        this.url,
        206,
      );
    }
    return {
      offset,
      total: range[3] === '*' ? (Number.isFinite(length) ? offset + length : null) : Number(range[3]),
    };
  }

  private async checkFreeSpace(remaining: number | null): Promise<void> {
    if (remaining === null) return;
    const folder = dirname(this.options.destination);
    const free = await (this.options.freeSpace ?? freeBytes)(folder);
    if (free < remaining) {
      throw new DownloadError(
        'disk-full',
        `not enough disk space in ${folder}: ${remaining} bytes needed, ${free} free`,
        this.url,
      );
    }
  }

  private async receive(
    response: Response,
    offset: number,
    total: number | null,
    hash: Hash,
  ): Promise<number> {
    if (!response.body)
      throw new DownloadError('http', `${this.url} sent no body`, this.url, response.status);
    const file = await open(this.paths.part, offset > 0 ? 'a' : 'w');
    const started = performance.now();
    const interval = this.options.progressIntervalMs ?? 200;
    let bytes = offset;
    let lastReport = -Infinity;
    const report = () => {
      const seconds = (performance.now() - started) / 1000;
      this.options.onProgress?.({
        url: this.url,
        bytes,
        total,
        bytesPerSecond: seconds > 0 ? (bytes - offset) / seconds : 0,
      });
      lastReport = performance.now();
    };
    const reader = response.body.getReader();
    try {
      for (let next = await reader.read(); !next.done; next = await reader.read()) {
        await writeAll(file, next.value);
        hash.update(next.value);
        bytes += next.value.byteLength;
        if (performance.now() - lastReport >= interval) report();
      }
    } catch (error) {
      // Close the connection too, not only the file (e.g. after ENOSPC).
      await reader.cancel().catch(() => undefined);
      throw error;
    } finally {
      report();
      await file.close();
    }
    return bytes;
  }

  private async finish(hash: Hash, bytes: number): Promise<DownloadResult> {
    const expectedSize = this.options.size ?? null;
    if (expectedSize !== null && bytes !== expectedSize) {
      await discardPartial(this.options.destination);
      throw new DownloadError(
        'size',
        `${this.url} gave ${bytes} bytes but the catalog expects ${expectedSize}`,
        this.url,
      );
    }
    const digest = hash.digest('hex');
    const expectedHash = this.options.sha256?.toLowerCase();
    if (expectedHash && digest !== expectedHash) {
      // A wrong file is worthless for resuming: drop it so the next try starts clean.
      await discardPartial(this.options.destination);
      throw new DownloadError(
        'checksum',
        `checksum mismatch for ${this.url}: sha256 ${digest}, expected ${expectedHash}; the download was deleted`,
        this.url,
      );
    }
    await rename(this.paths.part, this.options.destination);
    await rm(this.paths.info, { force: true });
    return { path: this.options.destination, bytes, sha256: digest, url: this.url };
  }
}

async function writeAll(file: FileHandle, chunk: Uint8Array): Promise<void> {
  let written = 0;
  while (written < chunk.byteLength) {
    const result = await file.write(chunk, written, chunk.byteLength - written);
    written += result.bytesWritten;
  }
}

async function hashFile(path: string): Promise<Hash> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash;
}

/** Free bytes, or Infinity where the file system cannot tell (then ENOSPC while writing still reports it). */
async function freeBytes(folder: string): Promise<number> {
  return statfs(folder).then(
    (stats) => stats.bavail * stats.bsize,
    () => Infinity,
  );
}
