// The renderer's one way to reach main: typed from the contract, and the same in Electron (window.hps from
// the preload) and in the browser (fetch + WebSocket to `hps-studio serve`). Imports only types from main/api.
import type { HpsBridge } from '../../../main/contract/bridge';
import type {
  ApiErrorCode,
  CallInput,
  CallName,
  CallOutput,
  CallResult,
  EventMessage,
  EventName,
  EventPayload,
} from '../../../main/contract';

declare global {
  interface Window {
    hps?: HpsBridge;
  }
}

export class ApiCallError extends Error {
  constructor(
    readonly code: ApiErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ApiCallError';
  }
}

type Listener<E extends EventName> = (payload: EventPayload<E>) => void;

export interface ApiClient {
  readonly transport: 'electron' | 'http';
  call<K extends CallName>(name: K, input: CallInput<K>): Promise<CallOutput<K>>;
  /** Subscribes to one event; returns the unsubscribe function. */
  on<E extends EventName>(event: E, listener: Listener<E>): () => void;
  /** URL of a file in the library folder, given its path relative to the library. */
  imageUrl(relativePath: string): string;
}

const encodePath = (p: string) => p.split('/').map(encodeURIComponent).join('/');

function unwrap<T>(result: CallResult<T>): T {
  if (result.ok) return result.output;
  throw new ApiCallError(result.error.code, result.error.message);
}

export function electronClient(bridge: HpsBridge): ApiClient {
  return {
    transport: 'electron',
    call: async (name, input) =>
      unwrap(
        await (bridge[name] as (i: typeof input) => Promise<CallResult<CallOutput<typeof name>>>)(input),
      ),
    on: (event, listener) => bridge.on(event, listener),
    imageUrl: (p) => `hps-image://library/${encodePath(p)}`,
  };
}

/** Team mode hands out links with `?token=`; keep it for this tab and send it with every request. */
function sessionToken(): string | null {
  const fromUrl = new URLSearchParams(location.search).get('token');
  if (fromUrl) sessionStorage.setItem('hps-token', fromUrl);
  // The login screen keeps the token for this tab, or in localStorage when asked to remember it.
  return sessionStorage.getItem('hps-token') ?? localStorage.getItem('hps-token');
}

export function httpClient(base: URL = new URL('./', location.href)): ApiClient {
  const token = sessionToken();
  const listeners = new Map<EventName, Set<(payload: unknown) => void>>();
  let socket: WebSocket | null = null;
  let retryMs = 500;
  // The events socket opens after the server has accepted a call, so a team-mode page waiting at the
  // login screen does not knock on the WebSocket without a token.
  let accepted = false;

  const connect = () => {
    const url = new URL('api/events', base);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    if (token) url.searchParams.set('token', token);
    socket = new WebSocket(url);
    socket.onopen = () => (retryMs = 500);
    socket.onmessage = (e) => {
      const message = JSON.parse(String(e.data)) as EventMessage;
      for (const l of listeners.get(message.event) ?? []) l(message.payload);
    };
    socket.onclose = () => {
      socket = null;
      // Reconnect while anyone listens, backing off to 10 s so a stopped server is not hammered.
      if ([...listeners.values()].some((s) => s.size > 0))
        setTimeout(connect, (retryMs = Math.min(retryMs * 2, 10_000)));
    };
  };

  return {
    transport: 'http',
    async call(name, input) {
      const res = await fetch(new URL(`api/${name}`, base), {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify(input),
      });
      const body = (await res.json().catch(() => null)) as {
        error?: { code: ApiErrorCode; message: string };
      } | null;
      if (!res.ok)
        throw new ApiCallError(
          body?.error?.code ?? 'internal',
          body?.error?.message ?? `${name} failed with HTTP ${res.status}`,
        );
      if (!accepted) {
        accepted = true;
        if (!socket && [...listeners.values()].some((set) => set.size > 0)) connect();
      }
      return body as CallOutput<typeof name>;
    },
    on(event, listener) {
      const set = listeners.get(event) ?? new Set();
      listeners.set(event, set);
      set.add(listener as (payload: unknown) => void);
      if (!socket && accepted) connect();
      return () => set.delete(listener as (payload: unknown) => void);
    },
    imageUrl: (p) =>
      new URL(`library-files/${encodePath(p)}${token ? `?token=${encodeURIComponent(token)}` : ''}`, base)
        .href,
  };
}

export function createClient(): ApiClient {
  return window.hps ? electronClient(window.hps) : httpClient();
}
