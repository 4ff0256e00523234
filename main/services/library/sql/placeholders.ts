import type { SqlParams } from './database';

/**
 * Rewrites `?` and `@name` parameters to PostgreSQL's `$1, $2, …` and lists their values in that order. A name
 * used twice is one parameter. Text inside quotes is left alone.
 */
export function numberedParameters(sql: string, params: SqlParams = []): { text: string; values: unknown[] } {
  const values: unknown[] = [];
  const named = new Map<string, number>();
  let positional = 0;
  const text = sql.replace(/'(?:[^']|'')*'|"(?:[^"]|"")*"|\?|@([A-Za-z_]\w*)/g, (token, name?: string) => {
    if (token.startsWith("'") || token.startsWith('"')) return token;
    if (name === undefined) {
      if (!Array.isArray(params)) throw new Error('a "?" parameter needs positional values');
      values.push(params[positional++]);
      return `$${values.length}`;
    }
    if (Array.isArray(params)) throw new Error(`parameter @${name} needs named values`);
    const record = params as Readonly<Record<string, unknown>>;
    if (!(name in record)) throw new Error(`no value for parameter @${name}`);
    let index = named.get(name);
    if (index === undefined) {
      values.push(record[name]);
      index = values.length;
      named.set(name, index);
    }
    return `$${index}`;
  });
  return { text, values };
}
