// Worker-thread entry for TaskWorker (task-worker.ts): loads the task module (a .ts one through tsx's
// loader; in the desktop bundle a bundled .mjs, see workerModule), takes its tasks (from createTasks(), once,
// when the module keeps state between requests), then runs one request at a time or several, each with its
// own AbortController, events and commands.
import { parentPort, workerData } from 'node:worker_threads';

serveTasks(workerData);

async function loadTask(moduleUrl, exportName) {
  if (moduleUrl.endsWith('.ts')) (await import('tsx/esm/api')).register();
  const module = await import(moduleUrl);
  const tasks = typeof module.createTasks === 'function' ? module.createTasks() : module;
  const task = tasks[exportName];
  if (typeof task !== 'function') throw new Error(`${moduleUrl} has no task function ${exportName}`);
  return task;
}

function serveTasks({ moduleUrl, exportName }) {
  const loaded = loadTask(moduleUrl, exportName);
  const running = new Map();

  async function run(id, input) {
    const controller = new AbortController();
    const listeners = new Set();
    running.set(id, { controller, listeners });
    try {
      const task = await loaded;
      const result = await task(input, {
        signal: controller.signal,
        emit: (data) => parentPort.postMessage({ type: 'event', id, data }),
        onCommand: (listener) => listeners.add(listener),
      });
      parentPort.postMessage({ type: 'done', id, result });
    } catch (err) {
      parentPort.postMessage({
        type: 'error',
        id,
        message: err instanceof Error ? err.message : String(err),
        aborted: controller.signal.aborted,
      });
    } finally {
      running.delete(id);
    }
  }

  parentPort.on('message', (msg) => {
    if (msg.type === 'run') void run(msg.id, msg.input);
    else if (msg.type === 'abort') running.get(msg.id)?.controller.abort(new Error('cancelled'));
    else if (msg.type === 'command') for (const l of running.get(msg.id)?.listeners ?? []) l(msg.command);
  });
}
