// The op table: every op the IR knows, by type name. OpType, the union of those names, is derived from the
// definitions themselves, so the builder, graph values and gradient rules cannot name an op that is not here.
import { attentionOps } from './attention';
import { convOps } from './conv';
import { elementwiseOps } from './elementwise';
import { matmulOps } from './matmul';
import { normOps } from './norm';
import { reduceOps } from './reduce';
import { shapeOps } from './shape-ops';
import type { OpDef } from './types';

const OP_DEFS = [
  ...elementwiseOps,
  ...matmulOps,
  ...convOps,
  ...normOps,
  ...shapeOps,
  ...reduceOps,
  ...attentionOps,
] as const satisfies readonly OpDef<never>[];

export type OpType = (typeof OP_DEFS)[number]['type'];

const OPS_BY_TYPE = indexByType(OP_DEFS);

function indexByType(defs: readonly OpDef<never>[]): ReadonlyMap<string, OpDef<unknown>> {
  const byType = new Map<string, OpDef<unknown>>();
  for (const def of defs) {
    if (byType.has(def.type)) throw new Error(`op ${def.type} is defined twice`);
    byType.set(def.type, def as unknown as OpDef<unknown>);
  }
  return byType;
}

export function getOp(type: OpType): OpDef<unknown> {
  const def = OPS_BY_TYPE.get(type);
  if (!def) throw new Error(`unknown op ${type}`);
  return def;
}
