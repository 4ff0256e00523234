import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { ImageStore, probeImage, THUMB_SIZE } from './imageStore';
import { migrate } from './schema';
import type { SqlDatabase } from './sql/database';
import { PostgresDatabase } from './sql/postgres';
import { SqliteDatabase } from './sql/sqlite';
import { toComparison, toImage, type ComparisonRow, type ImageRow } from './rows';
import type {
  Assignment,
  Comparison,
  ImageRecord,
  Judgment,
  JudgmentInput,
  Prompt,
  Role,
  SubmitResult,
} from './types';
import { AnnotatorRepository, type CreatedAnnotator } from './annotators';
import { JudgmentRepository, type AssignmentOptions } from './judgments';
import { ScoreRepository } from './scores';
import { TagRepository } from './tags';

export interface AddImageResult {
  image: ImageRecord;
  /** True when identical bytes were already in the library (matched by sha256). */
  duplicate: boolean;
}

export interface NewComparison {
  prompt: string;
  imageIds: number[];
  group?: string | null;
  goldImageId?: number | null;
  source?: string | null;
}

export interface AddComparisonResult {
  comparison: Comparison;
  /** True when the same prompt with the same set of images already existed; that comparison is returned. */
  duplicate: boolean;
}

export interface ComparisonFilter {
  /** Case-insensitive substring of the prompt. */
  text?: string;
  /** Only comparisons carrying this tag. */
  tag?: string;
  /** unlabeled: no judgment yet (skips count as none); labeled: at least one; excluded: set aside by a curator. */
  state?: 'unlabeled' | 'labeled' | 'excluded';
  gold?: boolean;
  limit?: number;
  offset?: number;
}

// One WHERE clause for every filter: a parameter left null switches its condition off. The casts tell
// PostgreSQL each parameter's type where only `IS NULL` would use it.
const FILTER_SQL = `(CAST(@text AS TEXT) IS NULL OR instr(lower(p.text), lower(@text)) > 0)
  AND (CAST(@tag AS TEXT) IS NULL OR EXISTS (SELECT 1 FROM comparison_tags ct JOIN tags t ON t.id = ct.tag_id
                               WHERE ct.comparison_id = c.id AND t.name = @tag))
  AND (CAST(@gold AS INTEGER) IS NULL OR (CASE WHEN c.gold_image_id IS NULL THEN 0 ELSE 1 END) = @gold)
  AND (CASE CAST(@state AS TEXT)
         WHEN 'excluded' THEN c.excluded = 1
         WHEN 'labeled' THEN EXISTS (SELECT 1 FROM judgments j WHERE j.comparison_id = c.id AND j.kind != 'skip')
         WHEN 'unlabeled' THEN NOT EXISTS (SELECT 1 FROM judgments j WHERE j.comparison_id = c.id AND j.kind != 'skip')
         ELSE TRUE END)`;

function filterParams(filter: ComparisonFilter) {
  return {
    text: filter.text || null,
    tag: filter.tag || null,
    gold: filter.gold === undefined ? null : filter.gold ? 1 : 0,
    state: filter.state ?? null,
    // No LIMIT is spelled differently in each dialect; a count no library reaches works in both.
    limit: filter.limit ?? Number.MAX_SAFE_INTEGER,
    offset: filter.offset ?? 0,
  };
}

export interface LibraryStats {
  prompts: number;
  images: number;
  comparisons: number;
  judgments: number;
  annotators: number;
}

const now = (): string => new Date().toISOString();
const DATABASE_FILE = 'library.sqlite';

/** Where a library lives: its folder (images, thumbnails) and, for a team server, a PostgreSQL database. */
export interface LibraryLocation {
  dir: string;
  /** postgres://… — the tables live there instead of `library.sqlite`; the images stay in `dir`. */
  databaseUrl?: string;
}

/**
 * One library: a database of prompts, comparisons, judgments and scores, plus content-addressed images and
 * thumbnails in its folder. The database is embedded SQLite by default or PostgreSQL for a team server; the
 * repositories run the same SQL on both. A write that resolved has committed.
 */
export class Library {
  readonly images: ImageStore;
  readonly annotators: AnnotatorRepository;
  readonly judgments: JudgmentRepository;
  readonly scores: ScoreRepository;
  readonly tags: TagRepository;

  private constructor(
    readonly dir: string,
    readonly db: SqlDatabase,
  ) {
    this.images = new ImageStore(dir);
    this.annotators = new AnnotatorRepository(db);
    this.judgments = new JudgmentRepository(db, (id) => this.getComparison(id));
    this.scores = new ScoreRepository(db);
    this.tags = new TagRepository(db);
  }

  /** True when `dir` already holds a library database (so a typo does not silently start a new library). */
  static exists(dir: string): boolean {
    return existsSync(path.join(dir, DATABASE_FILE));
  }

  static async open(dir: string, options: Omit<LibraryLocation, 'dir'> = {}): Promise<Library> {
    mkdirSync(dir, { recursive: true });
    const db = options.databaseUrl ? PostgresDatabase.connect(options.databaseUrl) : openSqlite(dir);
    try {
      await migrate(db);
    } catch (error) {
      await db.close();
      throw error;
    }
    return new Library(dir, db);
  }

  close(): Promise<void> {
    return this.db.close();
  }

  /**
   * Runs `work` in one transaction. `work` must reach the database only through the library it is handed
   * (bound to the transaction); inside a transaction, another transaction is a savepoint.
   */
  transaction<T>(work: (library: Library) => Promise<T>): Promise<T> {
    return this.db.transaction((tx) => work(new Library(this.dir, tx)));
  }

  // ── images ──────────────────────────────────────────────────────────────

  async addImage(bytes: Uint8Array, options: { source?: string | null } = {}): Promise<AddImageResult> {
    const probed = await probeImage(bytes);
    const existing = await this.getImageByHash(probed.hash);
    if (existing) return { image: existing, duplicate: true };
    this.images.put(probed.hash, probed.ext, bytes);
    await this.db.run(
      `INSERT INTO images (hash, ext, width, height, byte_size, source, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(hash) DO NOTHING`,
      [probed.hash, probed.ext, probed.width, probed.height, probed.byteSize, options.source ?? null, now()],
    );
    return { image: (await this.getImageByHash(probed.hash))!, duplicate: false };
  }

  async getImage(id: number): Promise<ImageRecord | null> {
    const row = await this.db.get<ImageRow>('SELECT * FROM images WHERE id = ?', [id]);
    return row ? toImage(row) : null;
  }

  async getImageByHash(hash: string): Promise<ImageRecord | null> {
    const row = await this.db.get<ImageRow>('SELECT * FROM images WHERE hash = ?', [hash]);
    return row ? toImage(row) : null;
  }

  async listImages(): Promise<ImageRecord[]> {
    return (await this.db.all<ImageRow>('SELECT * FROM images ORDER BY id')).map(toImage);
  }

  imagePath(image: Pick<ImageRecord, 'hash' | 'ext'>): string {
    return this.images.imagePath(image.hash, image.ext);
  }

  async thumbnailPath(imageId: number, size = THUMB_SIZE): Promise<string> {
    const image = await this.getImage(imageId);
    if (!image) throw new Error(`no image with id ${imageId}`);
    return this.images.thumbnail(image.hash, image.ext, size);
  }

  // ── prompts ─────────────────────────────────────────────────────────────

  async ensurePrompt(text: string): Promise<Prompt> {
    if (text.trim() === '') throw new Error('prompt text is empty');
    await this.db.run('INSERT INTO prompts (text, created_at) VALUES (?, ?) ON CONFLICT(text) DO NOTHING', [
      text,
      now(),
    ]);
    return (await this.db.get<Prompt>('SELECT id, text FROM prompts WHERE text = ?', [text]))!;
  }

  listPrompts(): Promise<Prompt[]> {
    return this.db.all<Prompt>('SELECT id, text FROM prompts ORDER BY id');
  }

  // ── comparisons ─────────────────────────────────────────────────────────

  async addComparison(input: NewComparison): Promise<AddComparisonResult> {
    const imageIds = [...new Set(input.imageIds)];
    if (imageIds.length < 2)
      throw new Error(`a comparison needs at least 2 distinct images, got ${imageIds.length}`);
    for (const id of imageIds) if (!(await this.getImage(id))) throw new Error(`no image with id ${id}`);
    if (input.goldImageId != null && !imageIds.includes(input.goldImageId)) {
      throw new Error(`gold image ${input.goldImageId} is not one of the comparison's images`);
    }
    return this.transaction(async (tx) => {
      const prompt = await tx.ensurePrompt(input.prompt);
      const signature = [...imageIds].sort((a, b) => a - b).join(',');
      const existing = await tx.db.get<{ id: number }>(
        'SELECT id FROM comparisons WHERE prompt_id = ? AND signature = ?',
        [prompt.id, signature],
      );
      if (existing) return { comparison: (await tx.getComparison(existing.id))!, duplicate: true };
      const { id } = (await tx.db.get<{ id: number }>(
        `INSERT INTO comparisons (prompt_id, group_name, signature, gold_image_id, source, created_at)
         VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
        [prompt.id, input.group ?? null, signature, input.goldImageId ?? null, input.source ?? null, now()],
      ))!;
      for (const [position, imageId] of imageIds.entries()) {
        await tx.db.run(
          'INSERT INTO comparison_images (comparison_id, position, image_id) VALUES (?, ?, ?)',
          [id, position, imageId],
        );
      }
      return { comparison: (await tx.getComparison(id))!, duplicate: false };
    });
  }

  async getComparison(id: number): Promise<Comparison | null> {
    const row = await this.db.get<ComparisonRow>(
      `SELECT c.id, c.prompt_id, p.text AS prompt, c.group_name, c.gold_image_id, c.excluded, c.source
       FROM comparisons c JOIN prompts p ON p.id = c.prompt_id WHERE c.id = ?`,
      [id],
    );
    return row ? this.toComparison(row) : null;
  }

  /** Comparisons in id order, optionally filtered (curation grid) and paged. */
  async listComparisons(filter: ComparisonFilter = {}): Promise<Comparison[]> {
    const rows = await this.db.all<ComparisonRow>(
      `SELECT c.id, c.prompt_id, p.text AS prompt, c.group_name, c.gold_image_id, c.excluded, c.source
       FROM comparisons c JOIN prompts p ON p.id = c.prompt_id WHERE ${FILTER_SQL}
       ORDER BY c.id LIMIT @limit OFFSET @offset`,
      filterParams(filter),
    );
    if (rows.length === 0) return [];
    // One query for every listed comparison's images (rows come in id order, so their ids span one range),
    // not one per comparison: on PostgreSQL each query is a network round trip.
    const imageRows = await this.db.all<ImageRow & { comparison_id: number }>(
      `SELECT ci.comparison_id, i.* FROM comparison_images ci JOIN images i ON i.id = ci.image_id
       WHERE ci.comparison_id BETWEEN ? AND ? ORDER BY ci.comparison_id, ci.position`,
      [rows[0]!.id, rows.at(-1)!.id],
    );
    const imagesOf = new Map<number, ImageRecord[]>();
    for (const row of imageRows) {
      const images = imagesOf.get(row.comparison_id) ?? [];
      images.push(toImage(row));
      imagesOf.set(row.comparison_id, images);
    }
    return rows.map((row) => toComparison(row, imagesOf.get(row.id) ?? []));
  }

  async countComparisons(filter: ComparisonFilter = {}): Promise<number> {
    const sql = `SELECT COUNT(*) AS n FROM comparisons c JOIN prompts p ON p.id = c.prompt_id WHERE ${FILTER_SQL}`;
    const { limit: _limit, offset: _offset, ...params } = filterParams(filter);
    return (await this.db.get<{ n: number }>(sql, params))!.n;
  }

  async setGold(comparisonId: number, goldImageId: number | null): Promise<void> {
    const comparison = await this.requireComparison(comparisonId);
    if (goldImageId !== null && !comparison.images.some((image) => image.id === goldImageId)) {
      throw new Error(`gold image ${goldImageId} is not one of comparison ${comparisonId}'s images`);
    }
    await this.db.run('UPDATE comparisons SET gold_image_id = ? WHERE id = ?', [goldImageId, comparisonId]);
  }

  async setExcluded(comparisonId: number, excluded: boolean): Promise<void> {
    await this.requireComparison(comparisonId);
    await this.db.run('UPDATE comparisons SET excluded = ? WHERE id = ?', [excluded ? 1 : 0, comparisonId]);
  }

  /** Deletes the comparison and its judgments (cascade). Images stay: other comparisons may use them. */
  async deleteComparison(comparisonId: number): Promise<void> {
    await this.db.run('DELETE FROM comparisons WHERE id = ?', [comparisonId]);
  }

  async requireComparison(id: number): Promise<Comparison> {
    const comparison = await this.getComparison(id);
    if (!comparison) throw new Error(`no comparison with id ${id}`);
    return comparison;
  }

  // ── labeling (the calls the compare view makes; the repositories hold the rest) ──

  createAnnotator(name: string, role: Role = 'annotator'): Promise<CreatedAnnotator> {
    return this.annotators.create(name, role);
  }

  nextComparison(annotatorId: number, options: AssignmentOptions = {}): Promise<Assignment | null> {
    return this.judgments.next(annotatorId, options);
  }

  submitJudgment(input: JudgmentInput): Promise<SubmitResult> {
    return this.judgments.submit(input);
  }

  undoLastJudgment(annotatorId: number): Promise<Judgment | null> {
    return this.judgments.undoLast(annotatorId);
  }

  /** Images generated in the app for one prompt become one comparison (bytes stored content-addressed). */
  async addGenerated(input: {
    prompt: string;
    images: Uint8Array[];
    group?: string | null;
    source?: string;
  }): Promise<AddComparisonResult> {
    const imageIds: number[] = [];
    for (const bytes of input.images)
      imageIds.push((await this.addImage(bytes, { source: input.source ?? 'generated' })).image.id);
    return this.addComparison({
      prompt: input.prompt,
      imageIds,
      group: input.group,
      source: input.source ?? 'generated',
    });
  }

  async stats(): Promise<LibraryStats> {
    const count = async (table: string): Promise<number> =>
      (await this.db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`))!.n;
    return {
      prompts: await count('prompts'),
      images: await count('images'),
      comparisons: await count('comparisons'),
      judgments: await count('judgments'),
      annotators: await count('annotators'),
    };
  }

  private async toComparison(row: ComparisonRow): Promise<Comparison> {
    const images = await this.db.all<ImageRow>(
      `SELECT i.* FROM comparison_images ci JOIN images i ON i.id = ci.image_id
       WHERE ci.comparison_id = ? ORDER BY ci.position`,
      [row.id],
    );
    return toComparison(row, images.map(toImage));
  }
}

function openSqlite(dir: string): SqliteDatabase {
  const db = new Database(path.join(dir, DATABASE_FILE), sqliteBindingOptions());
  db.pragma('journal_mode = WAL');
  // FULL: every commit fsyncs the WAL, so an acknowledged judgment survives power loss, not only a process
  // crash (NORMAL in WAL mode may drop the last commits on power loss). Judgments are one small row each and
  // imports batch many rows per transaction, so the extra fsync per commit costs little.
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  return new SqliteDatabase(db);
}

/**
 * better-sqlite3 is built for one runtime ABI at a time. `npm start` builds a second copy for Electron's ABI and
 * points the engine host at it with HPS_SQLITE_BINDING, so the CLI and tests keep the Node build.
 */
function sqliteBindingOptions(): Database.Options {
  const binding = process.env.HPS_SQLITE_BINDING;
  return binding ? { nativeBinding: binding } : {};
}
