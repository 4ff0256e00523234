import type Database from 'better-sqlite3';
import { AsyncLocalStorage } from 'node:async_hooks';
import {
  ConstraintViolation,
  savepoint,
  type ConstraintKind,
  type SqlDatabase,
  type SqlParams,
} from './database';

/**
 * SQLite through better-sqlite3. Its calls are synchronous; an open transaction holds the one connection, so
 * every statement from outside the transaction waits until it ends (otherwise it would join it).
 */
export class SqliteDatabase implements SqlDatabase {
  readonly dialect = 'sqlite';
  private readonly statements = new Map<string, Database.Statement>();
  private openTransaction: Promise<void> | null = null;
  /** Set inside a transaction's work, so a statement made there through this handle fails instead of waiting forever. */
  private readonly insideTransaction = new AsyncLocalStorage<true>();
  /** The handle a transaction's work gets: the same connection, without waiting for the transaction. */
  private readonly inside: SqlDatabase;

  constructor(readonly connection: Database.Database) {
    this.inside = {
      dialect: 'sqlite',
      all: async (sql, params) => this.execute(sql, (s) => s.all(...bind(params))) as never[],
      get: async (sql, params) => this.execute(sql, (s) => s.get(...bind(params))) as never,
      run: async (sql, params) => ({ changes: this.execute(sql, (s) => s.run(...bind(params)).changes) }),
      exec: async (sql) => {
        this.connection.exec(sql);
      },
      transaction: (work) => savepoint(this.inside, work),
      close: () => this.close(),
    };
  }

  async all<Row>(sql: string, params?: SqlParams): Promise<Row[]> {
    await this.idle();
    return this.inside.all<Row>(sql, params);
  }

  async get<Row>(sql: string, params?: SqlParams): Promise<Row | undefined> {
    await this.idle();
    return this.inside.get<Row>(sql, params);
  }

  async run(sql: string, params?: SqlParams): Promise<{ changes: number }> {
    await this.idle();
    return this.inside.run(sql, params);
  }

  async exec(sql: string): Promise<void> {
    await this.idle();
    this.connection.exec(sql);
  }

  async transaction<T>(work: (tx: SqlDatabase) => Promise<T>): Promise<T> {
    await this.idle();
    // Nothing awaits between idle() and taking the lock, so two transactions never both pass.
    let release!: () => void;
    this.openTransaction = new Promise((resolve) => (release = resolve));
    try {
      this.connection.exec('BEGIN IMMEDIATE');
      try {
        const result = await this.insideTransaction.run(true, () => work(this.inside));
        this.connection.exec('COMMIT');
        return result;
      } catch (error) {
        if (this.connection.inTransaction) this.connection.exec('ROLLBACK');
        throw error;
      }
    } finally {
      this.openTransaction = null;
      release();
    }
  }

  async close(): Promise<void> {
    await this.idle();
    this.connection.close();
  }

  private async idle(): Promise<void> {
    if (this.insideTransaction.getStore()) {
      throw new Error("inside a transaction, reach the database through the transaction's handle");
    }
    while (this.openTransaction) await this.openTransaction;
  }

  private execute<T>(sql: string, use: (statement: Database.Statement) => T): T {
    let statement = this.statements.get(sql);
    try {
      if (!statement) {
        statement = this.connection.prepare(sql);
        this.statements.set(sql, statement);
      }
      return use(statement);
    } catch (error) {
      const kind = SQLITE_CONSTRAINTS[(error as { code?: string }).code ?? ''];
      if (kind) throw new ConstraintViolation(kind, (error as Error).message, { cause: error });
      throw error;
    }
  }
}

function bind(params: SqlParams | undefined): unknown[] {
  if (params === undefined) return [];
  return Array.isArray(params) ? [...params] : [params];
}

const SQLITE_CONSTRAINTS: Readonly<Record<string, ConstraintKind>> = {
  SQLITE_CONSTRAINT_UNIQUE: 'unique',
  SQLITE_CONSTRAINT_PRIMARYKEY: 'unique',
  SQLITE_CONSTRAINT_FOREIGNKEY: 'foreign-key',
  SQLITE_CONSTRAINT_CHECK: 'check',
  SQLITE_CONSTRAINT_NOTNULL: 'not-null',
};
