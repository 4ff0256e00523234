// Bounds of the contract's number fields for the forms' inputs, so each limit is written once: in the zod schema.
import { z } from 'zod';

export interface NumberLimits {
  min?: number;
  max?: number;
}

/** min and max of a number field, looked up under any .default() or .optional(). */
export function numberLimits(field: z.core.$ZodType): NumberLimits {
  const number = numberSchema(field);
  return { min: bound(number.minValue), max: bound(number.maxValue) };
}

function numberSchema(field: z.core.$ZodType): z.ZodNumber {
  if (field instanceof z.ZodNumber) return field;
  if (field instanceof z.ZodDefault || field instanceof z.ZodOptional) return numberSchema(field.unwrap());
  throw new Error(`not a number field: ${field._zod.def.type}`);
}

// .int() bounds a number at ±MAX_SAFE_INTEGER and a bare number is ±Infinity: neither is a limit to show.
const bound = (value: number | null) =>
  value !== null && Math.abs(value) < Number.MAX_SAFE_INTEGER ? value : undefined;

/** The value moved into the limits (a typed 0 in a field whose minimum is 1 becomes 1). */
export function clampTo({ min = -Infinity, max = Infinity }: NumberLimits, value: number): number {
  return Math.min(max, Math.max(min, value));
}
