import pg from 'pg';
import {
  ConstraintViolation,
  savepoint,
  type ConstraintKind,
  type SqlDatabase,
  type SqlParams,
} from './database';
import { numberedParameters } from './placeholders';

const INT8_OID = 20;
const NUMERIC_OID = 1700;

/**
 * PostgreSQL through a `pg` pool. Ids and counts are BIGINT there, which `pg` returns as strings by default;
 * the library's ids stay far below 2^53, so they are read as numbers, the same as SQLite gives them.
 */
export class PostgresDatabase implements SqlDatabase {
  readonly dialect = 'postgres';

  private constructor(private readonly pool: pg.Pool) {}

  static connect(url: string, options: { maxConnections?: number } = {}): PostgresDatabase {
    const pool = new pg.Pool({
      connectionString: url,
      max: options.maxConnections ?? 10,
      types: { getTypeParser: readTypes },
    });
    // An idle client that loses its server (restart, network) must not crash the process; the next query
    // opens a new one and reports the error to its caller.
    pool.on('error', () => {});
    return new PostgresDatabase(pool);
  }

  all<Row>(sql: string, params?: SqlParams): Promise<Row[]> {
    return rowsOf<Row>(this.pool, sql, params);
  }

  async get<Row>(sql: string, params?: SqlParams): Promise<Row | undefined> {
    return (await rowsOf<Row>(this.pool, sql, params))[0];
  }

  run(sql: string, params?: SqlParams): Promise<{ changes: number }> {
    return changesOf(this.pool, sql, params);
  }

  async exec(sql: string): Promise<void> {
    await query(this.pool, sql);
  }

  async transaction<T>(work: (tx: SqlDatabase) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      try {
        const result = await work(onClient(client));
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK');
        throw error;
      }
    } finally {
      client.release();
    }
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}

type Queryable = pg.Pool | pg.PoolClient;

/** The handle a transaction's work gets: every statement on the transaction's own client. */
function onClient(client: pg.PoolClient): SqlDatabase {
  const tx: SqlDatabase = {
    dialect: 'postgres',
    all: (sql, params) => rowsOf(client, sql, params),
    get: async (sql, params) => (await rowsOf(client, sql, params))[0] as never,
    run: (sql, params) => changesOf(client, sql, params),
    exec: async (sql) => void (await query(client, sql)),
    transaction: (work) => savepoint(tx, work),
    close: async () => {},
  };
  return tx;
}

async function rowsOf<Row>(target: Queryable, sql: string, params: SqlParams = []): Promise<Row[]> {
  return (await query(target, sql, params)).rows as Row[];
}

async function changesOf(target: Queryable, sql: string, params: SqlParams = []) {
  return { changes: (await query(target, sql, params)).rowCount ?? 0 };
}

/** Without `params` the text runs as is, several statements allowed (exec); with them, as one statement. */
async function query(target: Queryable, sql: string, params?: SqlParams): Promise<pg.QueryResult> {
  try {
    if (params === undefined) return await target.query(sql);
    const { text, values } = numberedParameters(sql, params);
    return await target.query(text, values);
  } catch (error) {
    const kind = PG_CONSTRAINTS[(error as { code?: string }).code ?? ''];
    if (kind) throw new ConstraintViolation(kind, (error as Error).message, { cause: error });
    throw error;
  }
}

// SQLSTATE class 23, integrity constraint violation.
const PG_CONSTRAINTS: Readonly<Record<string, ConstraintKind>> = {
  '23505': 'unique',
  '23503': 'foreign-key',
  '23514': 'check',
  '23502': 'not-null',
};

function readTypes(oid: number, format?: string): (value: string) => unknown {
  if (oid === INT8_OID || oid === NUMERIC_OID) return Number;
  return pg.types.getTypeParser(oid, format as 'text');
}
