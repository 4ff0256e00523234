import { randomBytes } from 'node:crypto';
import type Database from 'better-sqlite3';
import { sha256Hex } from './imageStore';
import { toAnnotator, type AnnotatorRow } from './rows';
import type { Annotator, Role } from './types';

export interface CreatedAnnotator {
  annotator: Annotator;
  /** The login token in plain text. Only its sha256 is stored: this is the one chance to see it. */
  token: string;
}

const ROLES: readonly Role[] = ['admin', 'annotator'];

export function hashToken(token: string): string {
  return sha256Hex(Buffer.from(token, 'utf8'));
}

export class AnnotatorRepository {
  constructor(private readonly db: Database.Database) {}

  create(name: string, role: Role = 'annotator'): CreatedAnnotator {
    const trimmed = name.trim();
    if (trimmed === '') throw new Error('annotator name is empty');
    if (!ROLES.includes(role)) throw new Error(`role must be admin or annotator, got "${role}"`);
    if (this.byName(trimmed)) throw new Error(`an annotator named "${trimmed}" already exists`);
    const token = randomBytes(32).toString('base64url');
    this.db
      .prepare('INSERT INTO annotators (name, role, token_hash, created_at) VALUES (?, ?, ?, ?)')
      .run(trimmed, role, hashToken(token), new Date().toISOString());
    return { annotator: this.byName(trimmed)!, token };
  }

  /** Finds or creates an annotator that came with imported labels; such annotators have no token. */
  ensureImported(name: string): Annotator {
    const existing = this.byName(name);
    if (existing) return existing;
    this.db
      .prepare("INSERT INTO annotators (name, role, token_hash, created_at) VALUES (?, 'annotator', NULL, ?)")
      .run(name, new Date().toISOString());
    return this.byName(name)!;
  }

  /** Issues a new token (the old one stops working) and returns it in plain text. */
  rotateToken(annotatorId: number): string {
    const token = randomBytes(32).toString('base64url');
    const { changes } = this.db
      .prepare('UPDATE annotators SET token_hash = ? WHERE id = ?')
      .run(hashToken(token), annotatorId);
    if (changes === 0) throw new Error(`no annotator with id ${annotatorId}`);
    return token;
  }

  authenticate(token: string): Annotator | null {
    if (token === '') return null;
    const row = this.db.prepare('SELECT * FROM annotators WHERE token_hash = ?').get(hashToken(token)) as
      AnnotatorRow | undefined;
    return row ? toAnnotator(row) : null;
  }

  get(id: number): Annotator | null {
    const row = this.db.prepare('SELECT * FROM annotators WHERE id = ?').get(id) as AnnotatorRow | undefined;
    return row ? toAnnotator(row) : null;
  }

  byName(name: string): Annotator | null {
    const row = this.db.prepare('SELECT * FROM annotators WHERE name = ?').get(name) as
      AnnotatorRow | undefined;
    return row ? toAnnotator(row) : null;
  }

  list(): Annotator[] {
    return (this.db.prepare('SELECT * FROM annotators ORDER BY id').all() as AnnotatorRow[]).map(toAnnotator);
  }
}
