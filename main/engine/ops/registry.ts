// The op table: every op the IR knows, by type name.
import type { OpDef } from './types';

const table = new Map<string, OpDef<never>>();

export function registerOps(defs: readonly OpDef<never>[]): void {
  for (const def of defs) {
    if (table.has(def.type)) throw new Error(`op ${def.type} is registered twice`);
    table.set(def.type, def);
  }
}

export function getOp(type: string): OpDef<unknown> {
  const def = table.get(type);
  if (!def) throw new Error(`unknown op ${type}`);
  return def as unknown as OpDef<unknown>;
}

export function opTypes(): string[] {
  return [...table.keys()].sort();
}
