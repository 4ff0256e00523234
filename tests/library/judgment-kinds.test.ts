// The judgments table's CHECK is frozen in a shipped migration, so it cannot read the contract's list:
// this keeps the two the same (a new kind needs a new migration).
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { JUDGMENT_KINDS } from '../../main/contract/names';
import { migrate } from '../../main/services/library/schema';
import { SqliteDatabase } from '../../main/services/library/sql/sqlite';

describe('judgment kinds', () => {
  it('the library schema accepts exactly the contract’s judgment kinds', async () => {
    const db = new Database(':memory:');
    await migrate(new SqliteDatabase(db));
    const { sql } = db.prepare("SELECT sql FROM sqlite_master WHERE name = 'judgments'").get() as {
      sql: string;
    };
    db.close();
    const allowed = /kind IN \(([^)]*)\)/.exec(sql)![1]!.match(/'[^']*'/g)!;
    expect(allowed.map((quoted) => quoted.slice(1, -1)).sort()).toEqual([...JUDGMENT_KINDS].sort());
  });
});
