import { POSTGRES_MIGRATIONS } from './postgres-schema';
import type { Dialect, SqlDatabase } from './sql/database';

/**
 * Numbered schema migrations. Each entry moves the database from version `index` to `index + 1`.
 * Append only: a shipped migration is never edited, a change is a new entry.
 */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE prompts (
    id INTEGER PRIMARY KEY,
    text TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
  );
  CREATE TABLE images (
    id INTEGER PRIMARY KEY,
    hash TEXT NOT NULL UNIQUE CHECK (length(hash) = 64),
    ext TEXT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    byte_size INTEGER NOT NULL,
    source TEXT,
    created_at TEXT NOT NULL
  );
  CREATE TABLE comparisons (
    id INTEGER PRIMARY KEY,
    prompt_id INTEGER NOT NULL REFERENCES prompts(id),
    group_name TEXT,
    -- sorted image ids joined by ',': the same prompt + images is one comparison (re-imports reuse it)
    signature TEXT NOT NULL,
    gold_image_id INTEGER REFERENCES images(id),
    excluded INTEGER NOT NULL DEFAULT 0,
    source TEXT,
    created_at TEXT NOT NULL,
    UNIQUE (prompt_id, signature)
  );
  CREATE TABLE comparison_images (
    comparison_id INTEGER NOT NULL REFERENCES comparisons(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    image_id INTEGER NOT NULL REFERENCES images(id),
    PRIMARY KEY (comparison_id, position),
    UNIQUE (comparison_id, image_id)
  );
  CREATE INDEX comparison_images_image ON comparison_images(image_id);
  CREATE TABLE annotators (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL CHECK (role IN ('admin', 'annotator')),
    token_hash TEXT UNIQUE,
    created_at TEXT NOT NULL
  );
  CREATE TABLE judgments (
    id INTEGER PRIMARY KEY,
    comparison_id INTEGER NOT NULL REFERENCES comparisons(id) ON DELETE CASCADE,
    annotator_id INTEGER NOT NULL REFERENCES annotators(id),
    kind TEXT NOT NULL CHECK (kind IN ('choice', 'tie', 'both-bad', 'skip', 'ranking')),
    chosen_image_id INTEGER REFERENCES images(id),
    ranking TEXT,
    shown_order TEXT NOT NULL,
    decision_ms INTEGER,
    created_at TEXT NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    CHECK ((kind = 'choice') = (chosen_image_id IS NOT NULL)),
    CHECK ((kind = 'ranking') = (ranking IS NOT NULL)),
    -- one judgment per annotator and comparison: undo deletes it, then the annotator may judge again
    UNIQUE (comparison_id, annotator_id)
  );
  CREATE INDEX judgments_annotator ON judgments(annotator_id, id);
  CREATE TABLE scores (
    model_id TEXT NOT NULL,
    image_id INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
    prompt_id INTEGER NOT NULL REFERENCES prompts(id) ON DELETE CASCADE,
    score REAL NOT NULL,
    cosine REAL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (model_id, image_id, prompt_id)
  );
  CREATE TABLE tags (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
  );
  CREATE TABLE image_tags (
    image_id INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
    tag_id INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
    PRIMARY KEY (image_id, tag_id)
  );
  CREATE TABLE comparison_tags (
    comparison_id INTEGER NOT NULL REFERENCES comparisons(id) ON DELETE CASCADE,
    tag_id INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
    PRIMARY KEY (comparison_id, tag_id)
  );
  CREATE TABLE jobs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed', 'cancelled')),
    progress REAL NOT NULL DEFAULT 0,
    payload TEXT NOT NULL DEFAULT '{}',
    error TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
  `,
  // 2: label counts kept by triggers, so finding the next open item is an index range scan, not a count per row.
  `
  ALTER TABLE comparisons ADD COLUMN label_count INTEGER NOT NULL DEFAULT 0;
  UPDATE comparisons SET label_count =
    (SELECT COUNT(*) FROM judgments j WHERE j.comparison_id = comparisons.id AND j.kind != 'skip');
  CREATE INDEX comparisons_open ON comparisons(label_count, id) WHERE excluded = 0;
  CREATE INDEX comparisons_gold ON comparisons(id) WHERE gold_image_id IS NOT NULL;
  CREATE TRIGGER judgments_count_insert AFTER INSERT ON judgments WHEN NEW.kind != 'skip' BEGIN
    UPDATE comparisons SET label_count = label_count + 1 WHERE id = NEW.comparison_id;
  END;
  CREATE TRIGGER judgments_count_delete AFTER DELETE ON judgments WHEN OLD.kind != 'skip' BEGIN
    UPDATE comparisons SET label_count = label_count - 1 WHERE id = OLD.comparison_id;
  END;
  `,
  // 3: images a scorer could not read, so later scoring runs skip them until retried or the image row changes.
  `
  CREATE TABLE score_failures (
    model_id TEXT NOT NULL,
    image_id INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
    -- the image row's hash when it failed: a row that changed since is tried again
    image_hash TEXT NOT NULL,
    error TEXT NOT NULL,
    failed_at TEXT NOT NULL,
    PRIMARY KEY (model_id, image_id)
  );
  `,
  // 4: jobs live in the in-memory job registry (services/jobs); the table was never read by the app.
  `
  DROP TABLE jobs;
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

export function migrationsFor(dialect: Dialect): readonly string[] {
  return dialect === 'sqlite' ? MIGRATIONS : POSTGRES_MIGRATIONS;
}

// Any fixed number: every process migrating one PostgreSQL database takes the same lock.
const MIGRATION_LOCK = 7_736_001;

export async function currentVersion(db: SqlDatabase): Promise<number> {
  await db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
  const row = await db.get<{ version: number }>('SELECT version FROM schema_version');
  return row?.version ?? 0;
}

/**
 * Applies every pending migration, each in its own transaction together with its version bump. On PostgreSQL
 * the transaction first takes an advisory lock, so two servers starting at once migrate one after the other.
 */
export async function migrate(
  db: SqlDatabase,
  migrations: readonly string[] = migrationsFor(db.dialect),
): Promise<number> {
  for (;;) {
    const done = await db.transaction(async (tx) => {
      // Under the lock even the version table's creation: PostgreSQL's CREATE TABLE IF NOT EXISTS can still
      // collide with a concurrent one.
      if (tx.dialect === 'postgres') await tx.get('SELECT pg_advisory_xact_lock(?)', [MIGRATION_LOCK]);
      const from = await currentVersion(tx);
      if (from > migrations.length) {
        throw new Error(
          `library schema version ${from} is newer than this app supports (${migrations.length}); update HPS Studio`,
        );
      }
      if (from === migrations.length) return true;
      await tx.exec(migrations[from]!);
      await tx.run('DELETE FROM schema_version');
      await tx.run('INSERT INTO schema_version (version) VALUES (?)', [from + 1]);
      return false;
    });
    if (done) return migrations.length;
  }
}
