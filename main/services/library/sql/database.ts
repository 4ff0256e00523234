/**
 * The one SQL interface the library's repositories are written against. Two drivers implement it: embedded
 * SQLite (the default, one file in the library folder) and PostgreSQL (a team server). Repositories write one
 * SQL text for both: `?` or `@name` parameters, `RETURNING`, `ON CONFLICT`, and no dialect-only functions.
 */
export type Dialect = 'sqlite' | 'postgres';

/** Positional values for `?`, or named values for `@name`. */
export type SqlParams = readonly unknown[] | Readonly<Record<string, unknown>>;

export interface SqlDatabase {
  readonly dialect: Dialect;
  all<Row>(sql: string, params?: SqlParams): Promise<Row[]>;
  get<Row>(sql: string, params?: SqlParams): Promise<Row | undefined>;
  /** Runs a statement that returns no rows; `changes` counts the rows it inserted, updated or deleted. */
  run(sql: string, params?: SqlParams): Promise<{ changes: number }>;
  /** Several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
  /**
   * Runs `work` in one transaction on one connection: every statement it makes through `tx` commits together,
   * or none does. A transaction inside a transaction is a savepoint: if its work throws, only its own
   * statements are rolled back, and the outer transaction goes on.
   */
  transaction<T>(work: (tx: SqlDatabase) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export type ConstraintKind = 'unique' | 'foreign-key' | 'check' | 'not-null';

/** A statement broke a constraint; both drivers report it as this, so callers need not know the dialect. */
export class ConstraintViolation extends Error {
  constructor(
    readonly kind: ConstraintKind,
    message: string,
    options: { cause: unknown },
  ) {
    super(message, options);
    this.name = 'ConstraintViolation';
  }
}

/** A nested transaction on an open one (both dialects spell savepoints the same way; names may repeat). */
export async function savepoint<T>(tx: SqlDatabase, work: (tx: SqlDatabase) => Promise<T>): Promise<T> {
  await tx.exec('SAVEPOINT nested');
  try {
    const result = await work(tx);
    await tx.exec('RELEASE SAVEPOINT nested');
    return result;
  } catch (error) {
    await tx.exec('ROLLBACK TO SAVEPOINT nested');
    await tx.exec('RELEASE SAVEPOINT nested');
    throw error;
  }
}
