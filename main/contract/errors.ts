/** Error codes shared by the transports; HTTP maps them to status codes. */
export const API_ERROR_CODES = ['bad_request', 'not_found', 'unauthorized', 'forbidden', 'internal'] as const;
export type ApiErrorCode = (typeof API_ERROR_CODES)[number];

/** The result envelope used by the Electron bridge (HTTP uses status codes plus `{ error }`). */
export type CallResult<T = unknown> =
  { ok: true; output: T } | { ok: false; error: { code: ApiErrorCode; message: string } };

/** An error a call answers with: its code says which (HTTP status, bridge envelope). */
export class ApiError extends Error {
  constructor(
    readonly code: ApiErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  return new ApiError('internal', err instanceof Error ? err.message : String(err));
}
