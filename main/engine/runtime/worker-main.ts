// Worker-thread side of RuntimeWorker: owns a SessionCache and answers WorkerRequests.
import { parentPort, workerData } from 'node:worker_threads';
import { SessionCache, type SessionCacheOptions } from './cache';
import type { EngineSession } from './session';
import type { TensorMap } from './tensors';
import type { OpenedSession, WorkerReply, WorkerRequest, WorkerResult } from './worker-protocol';

if (!parentPort) throw new Error('worker-main must run in a worker thread');
const port = parentPort;
const cache = new SessionCache(workerData as SessionCacheOptions);
const handles = new Map<number, EngineSession>();
const runs = new Map<number, AbortController>();
let nextHandle = 1;

port.on('message', (message: WorkerRequest) => {
  if (message.type === 'cancel') {
    runs.get(message.runId)?.abort();
    return;
  }
  handle(message).then(
    (value) =>
      reply(
        { id: message.id, ok: true, value },
        message.type === 'run' ? transferablesOf(value as TensorMap) : [],
      ),
    (err: unknown) => {
      const e = err instanceof Error ? err : new Error(String(err));
      reply({ id: message.id, ok: false, error: { name: e.name, message: e.message } }, []);
    },
  );
});

async function handle(message: Exclude<WorkerRequest, { type: 'cancel' }>): Promise<WorkerResult> {
  switch (message.type) {
    case 'open':
      return open(message.request, message.artifact);
    case 'run': {
      const controller = new AbortController();
      runs.set(message.id, controller);
      try {
        return await session(message.handle).run(message.feeds, {
          signal: controller.signal,
          outputs: message.outputs,
        });
      } finally {
        runs.delete(message.id);
      }
    }
    case 'report':
      return session(message.handle).report();
    case 'release': {
      const s = session(message.handle);
      handles.delete(message.handle);
      await s.release();
      return null;
    }
    case 'close':
      handles.clear();
      await cache.clear();
      return null;
  }
}

async function open(
  request: Parameters<SessionCache['get']>[0],
  artifact: Parameters<SessionCache['get']>[1] | undefined,
): Promise<OpenedSession | { missing: true }> {
  if (!artifact && !cache.has(request) && !(await cache.cachedModelPath(request))) return { missing: true };
  const s = await cache.get(
    request,
    artifact ?? (() => Promise.reject(new Error('the session cache lost the model'))),
  );
  const handle = nextHandle++;
  handles.set(handle, s);
  return { handle, inputs: s.inputs, outputs: s.outputs, report: s.report() };
}

function session(handle: number): EngineSession {
  const s = handles.get(handle);
  if (!s) throw new Error(`no open session with handle ${handle}`);
  return s;
}

function transferablesOf(outputs: TensorMap): ArrayBuffer[] {
  return [...new Set(Object.values(outputs).map((t) => t.data.buffer as ArrayBuffer))];
}

function reply(message: WorkerReply, transfer: ArrayBuffer[]): void {
  try {
    port.postMessage(message, transfer);
  } catch {
    // Buffers ORT allocated outside the JS heap cannot be transferred; they are copied instead.
    port.postMessage(message);
  }
}
