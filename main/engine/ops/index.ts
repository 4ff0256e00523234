// Registers the op table. Importing this module (the graph builder does) makes every op available.
import { attentionOps } from './attention';
import { convOps } from './conv';
import { elementwiseOps } from './elementwise';
import { matmulOps } from './matmul';
import { normOps } from './norm';
import { reduceOps } from './reduce';
import { registerOps } from './registry';
import { shapeOps } from './shape-ops';
import type { OpDef } from './types';

registerOps([
  ...(elementwiseOps as OpDef<never>[]),
  ...matmulOps,
  ...convOps,
  ...normOps,
  ...shapeOps,
  ...reduceOps,
  ...attentionOps,
]);

export { getOp, opTypes } from './registry';
export type { LowerContext, OpDef, Precision } from './types';
