export type DownloadErrorKind =
  | 'not-found' // 404 / 410
  | 'forbidden' // 401 / 403: gated or private, needs a token
  | 'http' // any other unexpected HTTP answer
  | 'network' // connection refused, reset or dropped (after retries)
  | 'disk-full' // ENOSPC, or not enough free space for what is left
  | 'size' // the server's size differs from the catalog's
  | 'checksum' // sha256 of the finished file differs from the catalog's
  | 'aborted'; // paused or cancelled through the AbortSignal

/** Every download failure, with a kind the UI can act on and a message a person can read. */
export class DownloadError extends Error {
  override readonly name = 'DownloadError';
  constructor(
    readonly kind: DownloadErrorKind,
    message: string,
    readonly url?: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

/** Kinds that no other mirror or retry can fix. */
export function isFinal(error: unknown): boolean {
  return error instanceof DownloadError && (error.kind === 'aborted' || error.kind === 'disk-full');
}
