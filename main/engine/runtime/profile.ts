// Which execution provider ran each node, read from ORT's profiling trace (a Chrome-trace JSON array in
// which every node event "<name>_kernel_time" carries args.provider and args.op_name).
import { readFile, readdir, rm } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';

export interface NodePlacement {
  name: string;
  opType: string;
  provider: string;
}

/** Short EP names used across the runtime, from ORT's provider class names. */
const PROVIDER_NAMES: Record<string, string> = {
  CPUExecutionProvider: 'cpu',
  WebGpuExecutionProvider: 'webgpu',
  CUDAExecutionProvider: 'cuda',
  DmlExecutionProvider: 'dml',
  CoreMLExecutionProvider: 'coreml',
};

export function shortProviderName(provider: string): string {
  return PROVIDER_NAMES[provider] ?? provider;
}

export function parseProfile(json: string): NodePlacement[] {
  const events: unknown = JSON.parse(json);
  if (!Array.isArray(events)) throw new Error('ORT profile is not a JSON array of trace events');
  const byName = new Map<string, NodePlacement>();
  for (const e of events as {
    cat?: unknown;
    name?: unknown;
    args?: { provider?: unknown; op_name?: unknown };
  }[]) {
    if (e?.cat !== 'Node' || typeof e.name !== 'string' || !e.name.endsWith('_kernel_time')) continue;
    const provider = e.args?.provider;
    const opType = e.args?.op_name;
    if (typeof provider !== 'string' || typeof opType !== 'string') continue;
    const name = e.name.slice(0, -'_kernel_time'.length);
    byName.set(name, { name, opType, provider: shortProviderName(provider) });
  }
  return [...byName.values()];
}

/** Reads and deletes the trace ORT wrote for `prefix` (it appends a timestamp and ".json"). */
export async function takeProfile(prefix: string): Promise<NodePlacement[]> {
  const files = await profileFiles(prefix);
  if (files.length === 0) throw new Error(`ORT wrote no profile for ${prefix}`);
  try {
    return parseProfile(await readFile(files.sort().at(-1)!, 'utf8'));
  } finally {
    await Promise.all(files.map((f) => rm(f, { force: true })));
  }
}

export async function discardProfile(prefix: string): Promise<void> {
  await Promise.all((await profileFiles(prefix)).map((f) => rm(f, { force: true })));
}

export const PROFILE_DIR = path.join(os.tmpdir(), 'hps-ort-profiles');

/** A fresh trace prefix; it starts with the process id so a process can tell its own traces apart. */
export function newProfilePrefix(): string {
  return path.join(PROFILE_DIR, `${process.pid}_${randomUUID()}_`);
}

async function profileFiles(prefix: string): Promise<string[]> {
  const dir = path.dirname(prefix);
  const base = path.basename(prefix);
  return (await readdir(dir))
    .filter((f) => f.startsWith(base) && f.endsWith('.json'))
    .map((f) => path.join(dir, f));
}
