// Form state kept in localStorage, so paths and favourite settings survive a reload. What is read back is
// checked field by field against the form's zod schema: a field that no longer fits (an old limit, a renamed
// option, a hand edit) falls back to its default and the rest is kept.
import { useCallback, useEffect, useState } from 'react';
import { z } from 'zod';

export function readPersistedForm<S extends z.ZodObject>(
  key: string,
  schema: S,
  defaults: z.output<S>,
): z.output<S> {
  const saved = readSaved(key);
  const form: Record<string, unknown> = { ...defaults };
  for (const [field, fieldSchema] of Object.entries(schema.shape)) {
    const parsed = z.safeParse(fieldSchema, saved[field]);
    if (saved[field] !== undefined && parsed.success) form[field] = parsed.data;
  }
  return form as z.output<S>;
}

function readSaved(key: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(localStorage.getItem(key) ?? '{}');
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** The form and a `patch` that changes some fields; every change is saved under `key`. */
export function usePersistedForm<S extends z.ZodObject>(key: string, schema: S, defaults: z.output<S>) {
  const [form, setForm] = useState(() => readPersistedForm(key, schema, defaults));
  useEffect(() => localStorage.setItem(key, JSON.stringify(form)), [key, form]);
  const patch = useCallback((change: Partial<z.output<S>>) => setForm((old) => ({ ...old, ...change })), []);
  return [form, patch] as const;
}
