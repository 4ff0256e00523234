// PostgreSQL specifics of the library: concurrent migration (two servers starting at once), a schema newer than
// the app, and `db copy` from SQLite — every table with the same rows and checksum, ids kept, identities
// continuing after the copied ids, a non-empty target refused — plus the `db` commands as a user runs them,
// with the password never printed.
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import {
  Library,
  PostgresDatabase,
  SCHEMA_VERSION,
  copyLibrary,
  currentVersion,
  migrate,
} from '../../main/services/library';
import { runCli } from '../cli/run-cli';
import { createDatabase } from '../support/servers';
import { makePng, tempDir } from './helpers';

let temp: ReturnType<typeof tempDir>;
let url: string;

beforeEach(async () => {
  temp = tempDir('hps-postgres-');
  url = await createDatabase(inject('postgresAdminUrl'));
});
afterEach(() => temp.cleanup());

/** A SQLite library with a row in every table. */
async function sqliteLibrary(): Promise<Library> {
  const lib = await Library.open(temp.dir);
  const ids: number[] = [];
  for (let seed = 0; seed < 4; seed++) ids.push((await lib.addImage(await makePng(seed))).image.id);
  const { comparison } = await lib.addComparison({
    prompt: 'a red fox',
    imageIds: ids.slice(0, 2),
    goldImageId: ids[0],
  });
  const second = (await lib.addComparison({ prompt: 'a blue bird', imageIds: ids.slice(1) })).comparison;
  const { annotator } = await lib.createAnnotator('alice');
  await lib.submitJudgment({
    comparisonId: second.id,
    annotatorId: annotator.id,
    kind: 'ranking',
    ranking: [ids[3]!, ids[1]!, ids[2]!],
    shownOrder: ids.slice(1),
    idempotencyKey: 'alice-1',
    decisionMs: 1234,
  });
  await lib.submitJudgment({
    comparisonId: comparison.id,
    annotatorId: annotator.id,
    kind: 'tie',
    shownOrder: ids.slice(0, 2),
    idempotencyKey: 'alice-2',
  });
  await lib.scores.set({
    modelId: 'hps-v2.1',
    imageId: ids[0]!,
    promptId: comparison.promptId,
    score: 0.1 + 0.2,
    cosine: -0.25,
  });
  await lib.scores.recordFailure({ modelId: 'hps-v2.1', imageId: ids[3]!, error: 'unreadable' });
  await lib.tags.addToComparisons([comparison.id], 'animals');
  await lib.tags.addToImages([ids[2]!], 'blurry');
  await lib.setExcluded(second.id, true);
  return lib;
}

describe('PostgreSQL library', () => {
  it('migrates once when two servers start at the same time, and refuses a newer schema', async () => {
    const [a, b] = [PostgresDatabase.connect(url), PostgresDatabase.connect(url)];
    try {
      await expect(Promise.all([migrate(a), migrate(b)])).resolves.toEqual([SCHEMA_VERSION, SCHEMA_VERSION]);
      expect(await currentVersion(a)).toBe(SCHEMA_VERSION);
      expect((await a.get<{ n: number }>('SELECT COUNT(*) AS n FROM schema_version'))!.n).toBe(1);
      await a.run('UPDATE schema_version SET version = ?', [SCHEMA_VERSION + 1]);
      await expect(Library.open(temp.dir, { databaseUrl: url })).rejects.toThrow(
        /newer than this app supports/,
      );
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('copies a SQLite library losslessly, ids kept, and new rows continue after them', async () => {
    const source = await sqliteLibrary();
    const target = await Library.open(temp.dir, { databaseUrl: url });
    try {
      const copies = await copyLibrary(source.db, target.db);
      expect(copies.map((c) => c.table)).toContain('judgments');
      expect(Object.fromEntries(copies.map((c) => [c.table, c.rows]))).toMatchObject({
        prompts: 2,
        images: 4,
        comparisons: 2,
        comparison_images: 5,
        annotators: 1,
        judgments: 2,
        scores: 1,
        tags: 2,
        score_failures: 1,
      });
      // The same answers through the repositories, on either side.
      for (const lib of [source, target]) {
        expect(await lib.stats()).toEqual({
          prompts: 2,
          images: 4,
          comparisons: 2,
          judgments: 2,
          annotators: 1,
        });
        expect(await lib.countComparisons({ state: 'labeled' })).toBe(2);
        expect(await lib.countComparisons({ state: 'excluded' })).toBe(1);
        expect(await lib.countComparisons({ tag: 'animals', gold: true })).toBe(1);
      }
      expect(await target.listComparisons()).toEqual(await source.listComparisons());
      expect(await target.judgments.list()).toEqual(await source.judgments.list());
      expect(await target.scores.list()).toEqual(await source.scores.list());
      expect(await target.scores.failures('hps-v2.1')).toEqual(await source.scores.failures('hps-v2.1'));
      // Identities continue after the copied ids.
      expect((await target.ensurePrompt('a new prompt')).id).toBe(3);
      // A second copy into the now non-empty database is refused, and changes nothing.
      await expect(copyLibrary(source.db, target.db)).rejects.toThrow(/not empty/);
      expect((await target.stats()).prompts).toBe(3);
    } finally {
      await Promise.all([source.close(), target.close()]);
    }
  });

  it('`db migrate` and `db copy` work from the command line and never print the password', async () => {
    await (await sqliteLibrary()).close();
    const password = new URL(url).password;
    const migrated = await runCli(['db', 'migrate'], { env: { ...process.env, HPS_DATABASE_URL: url } });
    expect(migrated.code, migrated.stderr).toBe(0);
    expect(migrated.stdout).toMatch(
      /Migrated postgres:\/\/hps:\*\*\*@127\.0\.0\.1:\d+\/\w+ from schema version 0 to \d+/,
    );
    const copied = await runCli(['db', 'copy', '--from', temp.dir, '--to', url]);
    expect(copied.code, copied.stderr).toBe(0);
    expect(copied.stdout).toMatch(/judgments\s+2 rows\s+sha256 [0-9a-f]{16} {2}✓/);
    expect(copied.stdout).toContain('every table matches');
    const again = await runCli(['db', 'copy', '--from', temp.dir, '--to', url]);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/not empty/);
    const wrong = new URL(url);
    wrong.password = 'wrong-password';
    const refused = await runCli(['db', 'migrate', '--database', wrong.toString()]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/cannot migrate postgres:\/\/hps:\*\*\*@/);
    for (const run of [migrated, copied, again, refused])
      for (const secret of [password, 'wrong-password'])
        expect(run.stdout + run.stderr).not.toContain(secret);
  });
});
