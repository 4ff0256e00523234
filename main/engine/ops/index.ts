// The op table's public face: looking up an op's definition by its (type-checked) name.
export { getOp, type OpType } from './registry';
export type { ComputePrecision, LowerContext, OpDef, Precision } from './types';
