// The task modules that run off the API's thread, by name: a worker thread here, or a queue worker host, which
// gets only the name and runs the same module.
import { TaskWorker, workerModule, type TaskRunner } from './task-worker';

export const TASK_MODULES = {
  'generate-task': workerModule('generate-task', './generate-task.ts', import.meta.url),
  'training-task': workerModule('training-task', './training-task.ts', import.meta.url),
  'scorer-task': workerModule('scorer-task', './scorer-task.ts', import.meta.url),
} as const satisfies Readonly<Record<string, URL>>;

export type TaskModuleName = keyof typeof TASK_MODULES;

export function isTaskModuleName(name: string): name is TaskModuleName {
  return Object.hasOwn(TASK_MODULES, name);
}

export function localTaskRunner(module: TaskModuleName, exportName: string): TaskRunner {
  return new TaskWorker(TASK_MODULES[module], exportName);
}
