import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { ImageStore, probeImage, THUMB_SIZE } from './imageStore';
import { migrate } from './schema';
import { toImage, type ComparisonRow, type ImageRow } from './rows';
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

// One WHERE clause for every filter: a parameter left null switches its condition off.
const FILTER_SQL = `(@text IS NULL OR instr(lower(p.text), lower(@text)) > 0)
  AND (@tag IS NULL OR EXISTS (SELECT 1 FROM comparison_tags ct JOIN tags t ON t.id = ct.tag_id
                               WHERE ct.comparison_id = c.id AND t.name = @tag))
  AND (@gold IS NULL OR (c.gold_image_id IS NOT NULL) = @gold)
  AND (CASE @state
         WHEN 'excluded' THEN c.excluded = 1
         WHEN 'labeled' THEN EXISTS (SELECT 1 FROM judgments j WHERE j.comparison_id = c.id AND j.kind != 'skip')
         WHEN 'unlabeled' THEN NOT EXISTS (SELECT 1 FROM judgments j WHERE j.comparison_id = c.id AND j.kind != 'skip')
         ELSE 1 END)`;

function filterParams(filter: ComparisonFilter) {
  return {
    text: filter.text || null,
    tag: filter.tag || null,
    gold: filter.gold === undefined ? null : filter.gold ? 1 : 0,
    state: filter.state ?? null,
    limit: filter.limit ?? -1,
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

/**
 * One library folder: `library.sqlite` plus content-addressed images and thumbnails.
 * Everything that writes is synchronous on the SQLite side, so a method that returned has committed.
 */
export class Library {
  readonly images: ImageStore;
  readonly annotators: AnnotatorRepository;
  readonly judgments: JudgmentRepository;
  readonly scores: ScoreRepository;
  readonly tags: TagRepository;

  private constructor(
    readonly dir: string,
    readonly db: Database.Database,
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

  static open(dir: string): Library {
    mkdirSync(dir, { recursive: true });
    const db = new Database(path.join(dir, DATABASE_FILE), sqliteBindingOptions());
    db.pragma('journal_mode = WAL');
    // FULL: every commit fsyncs the WAL, so an acknowledged judgment survives power loss, not only a process
    // crash (NORMAL in WAL mode may drop the last commits on power loss). Judgments are one small row each and
    // imports batch many rows per transaction, so the extra fsync per commit costs little.
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    migrate(db);
    return new Library(dir, db);
  }

  close(): void {
    this.db.close();
  }

  transaction<T>(work: () => T): T {
    return this.db.transaction(work)();
  }

  // ── images ──────────────────────────────────────────────────────────────

  async addImage(bytes: Uint8Array, options: { source?: string | null } = {}): Promise<AddImageResult> {
    const probed = await probeImage(bytes);
    const existing = this.getImageByHash(probed.hash);
    if (existing) return { image: existing, duplicate: true };
    this.images.put(probed.hash, probed.ext, bytes);
    this.db
      .prepare(
        `INSERT INTO images (hash, ext, width, height, byte_size, source, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(hash) DO NOTHING`,
      )
      .run(
        probed.hash,
        probed.ext,
        probed.width,
        probed.height,
        probed.byteSize,
        options.source ?? null,
        now(),
      );
    return { image: this.getImageByHash(probed.hash)!, duplicate: false };
  }

  getImage(id: number): ImageRecord | null {
    const row = this.db.prepare('SELECT * FROM images WHERE id = ?').get(id) as ImageRow | undefined;
    return row ? toImage(row) : null;
  }

  getImageByHash(hash: string): ImageRecord | null {
    const row = this.db.prepare('SELECT * FROM images WHERE hash = ?').get(hash) as ImageRow | undefined;
    return row ? toImage(row) : null;
  }

  listImages(): ImageRecord[] {
    return (this.db.prepare('SELECT * FROM images ORDER BY id').all() as ImageRow[]).map(toImage);
  }

  imagePath(image: Pick<ImageRecord, 'hash' | 'ext'>): string {
    return this.images.imagePath(image.hash, image.ext);
  }

  async thumbnailPath(imageId: number, size = THUMB_SIZE): Promise<string> {
    const image = this.getImage(imageId);
    if (!image) throw new Error(`no image with id ${imageId}`);
    return this.images.thumbnail(image.hash, image.ext, size);
  }

  // ── prompts ─────────────────────────────────────────────────────────────

  ensurePrompt(text: string): Prompt {
    if (text.trim() === '') throw new Error('prompt text is empty');
    this.db
      .prepare('INSERT INTO prompts (text, created_at) VALUES (?, ?) ON CONFLICT(text) DO NOTHING')
      .run(text, now());
    return this.db.prepare('SELECT id, text FROM prompts WHERE text = ?').get(text) as Prompt;
  }

  listPrompts(): Prompt[] {
    return this.db.prepare('SELECT id, text FROM prompts ORDER BY id').all() as Prompt[];
  }

  // ── comparisons ─────────────────────────────────────────────────────────

  addComparison(input: NewComparison): AddComparisonResult {
    const imageIds = [...new Set(input.imageIds)];
    if (imageIds.length < 2)
      throw new Error(`a comparison needs at least 2 distinct images, got ${imageIds.length}`);
    for (const id of imageIds) if (!this.getImage(id)) throw new Error(`no image with id ${id}`);
    if (input.goldImageId != null && !imageIds.includes(input.goldImageId)) {
      throw new Error(`gold image ${input.goldImageId} is not one of the comparison's images`);
    }
    return this.transaction(() => {
      const prompt = this.ensurePrompt(input.prompt);
      const signature = [...imageIds].sort((a, b) => a - b).join(',');
      const existing = this.db
        .prepare('SELECT id FROM comparisons WHERE prompt_id = ? AND signature = ?')
        .get(prompt.id, signature) as { id: number } | undefined;
      if (existing) return { comparison: this.getComparison(existing.id)!, duplicate: true };
      const { lastInsertRowid } = this.db
        .prepare(
          `INSERT INTO comparisons (prompt_id, group_name, signature, gold_image_id, source, created_at)
           VALUES (?, ?, ?, ?, ?, ?)`,
        )
        .run(
          prompt.id,
          input.group ?? null,
          signature,
          input.goldImageId ?? null,
          input.source ?? null,
          now(),
        );
      const insertImage = this.db.prepare(
        'INSERT INTO comparison_images (comparison_id, position, image_id) VALUES (?, ?, ?)',
      );
      imageIds.forEach((imageId, position) => insertImage.run(lastInsertRowid, position, imageId));
      return { comparison: this.getComparison(Number(lastInsertRowid))!, duplicate: false };
    });
  }

  getComparison(id: number): Comparison | null {
    const row = this.db
      .prepare(
        `SELECT c.id, c.prompt_id, p.text AS prompt, c.group_name, c.gold_image_id, c.excluded, c.source
         FROM comparisons c JOIN prompts p ON p.id = c.prompt_id WHERE c.id = ?`,
      )
      .get(id) as ComparisonRow | undefined;
    return row ? this.toComparison(row) : null;
  }

  /** Comparisons in id order, optionally filtered (curation grid) and paged. */
  listComparisons(filter: ComparisonFilter = {}): Comparison[] {
    const rows = this.db
      .prepare(
        `SELECT c.id, c.prompt_id, p.text AS prompt, c.group_name, c.gold_image_id, c.excluded, c.source
         FROM comparisons c JOIN prompts p ON p.id = c.prompt_id WHERE ${FILTER_SQL} ORDER BY c.id LIMIT @limit OFFSET @offset`,
      )
      .all(filterParams(filter)) as ComparisonRow[];
    return rows.map((row) => this.toComparison(row));
  }

  countComparisons(filter: ComparisonFilter = {}): number {
    const sql = `SELECT COUNT(*) AS n FROM comparisons c JOIN prompts p ON p.id = c.prompt_id WHERE ${FILTER_SQL}`;
    return (this.db.prepare(sql).get(filterParams(filter)) as { n: number }).n;
  }

  setGold(comparisonId: number, goldImageId: number | null): void {
    const comparison = this.requireComparison(comparisonId);
    if (goldImageId !== null && !comparison.images.some((image) => image.id === goldImageId)) {
      throw new Error(`gold image ${goldImageId} is not one of comparison ${comparisonId}'s images`);
    }
    this.db.prepare('UPDATE comparisons SET gold_image_id = ? WHERE id = ?').run(goldImageId, comparisonId);
  }

  setExcluded(comparisonId: number, excluded: boolean): void {
    this.requireComparison(comparisonId);
    this.db.prepare('UPDATE comparisons SET excluded = ? WHERE id = ?').run(excluded ? 1 : 0, comparisonId);
  }

  /** Deletes the comparison and its judgments (cascade). Images stay: other comparisons may use them. */
  deleteComparison(comparisonId: number): void {
    this.db.prepare('DELETE FROM comparisons WHERE id = ?').run(comparisonId);
  }

  requireComparison(id: number): Comparison {
    const comparison = this.getComparison(id);
    if (!comparison) throw new Error(`no comparison with id ${id}`);
    return comparison;
  }

  // ── labeling (the calls the compare view makes; the repositories hold the rest) ──

  createAnnotator(name: string, role: Role = 'annotator'): CreatedAnnotator {
    return this.annotators.create(name, role);
  }

  nextComparison(annotatorId: number, options: AssignmentOptions = {}): Assignment | null {
    return this.judgments.next(annotatorId, options);
  }

  submitJudgment(input: JudgmentInput): SubmitResult {
    return this.judgments.submit(input);
  }

  undoLastJudgment(annotatorId: number): Judgment | null {
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

  stats(): LibraryStats {
    const count = (table: string): number =>
      (this.db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
    return {
      prompts: count('prompts'),
      images: count('images'),
      comparisons: count('comparisons'),
      judgments: count('judgments'),
      annotators: count('annotators'),
    };
  }

  private toComparison(row: ComparisonRow): Comparison {
    const images = (
      this.db
        .prepare(
          `SELECT i.* FROM comparison_images ci JOIN images i ON i.id = ci.image_id
           WHERE ci.comparison_id = ? ORDER BY ci.position`,
        )
        .all(row.id) as ImageRow[]
    ).map(toImage);
    return {
      id: row.id,
      promptId: row.prompt_id,
      prompt: row.prompt,
      group: row.group_name,
      images,
      goldImageId: row.gold_image_id,
      excluded: row.excluded === 1,
      source: row.source,
    };
  }
}

/**
 * better-sqlite3 is built for one runtime ABI at a time. `npm start` builds a second copy for Electron's ABI and
 * points the engine host at it with HPS_SQLITE_BINDING, so the CLI and tests keep the Node build.
 */
function sqliteBindingOptions(): Database.Options {
  const binding = process.env.HPS_SQLITE_BINDING;
  return binding ? { nativeBinding: binding } : {};
}
