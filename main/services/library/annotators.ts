import { randomBytes } from 'node:crypto';
import type { SqlDatabase } from './sql/database';
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
  constructor(private readonly db: SqlDatabase) {}

  async create(name: string, role: Role = 'annotator'): Promise<CreatedAnnotator> {
    const trimmed = name.trim();
    if (trimmed === '') throw new Error('annotator name is empty');
    if (!ROLES.includes(role)) throw new Error(`role must be admin or annotator, got "${role}"`);
    if (await this.byName(trimmed)) throw new Error(`an annotator named "${trimmed}" already exists`);
    const token = randomBytes(32).toString('base64url');
    await this.db.run('INSERT INTO annotators (name, role, token_hash, created_at) VALUES (?, ?, ?, ?)', [
      trimmed,
      role,
      hashToken(token),
      new Date().toISOString(),
    ]);
    return { annotator: (await this.byName(trimmed))!, token };
  }

  /** Finds or creates an annotator that came with imported labels; such annotators have no token. */
  async ensureImported(name: string): Promise<Annotator> {
    await this.db.run(
      `INSERT INTO annotators (name, role, token_hash, created_at) VALUES (?, 'annotator', NULL, ?)
       ON CONFLICT(name) DO NOTHING`,
      [name, new Date().toISOString()],
    );
    return (await this.byName(name))!;
  }

  /** Issues a new token (the old one stops working) and returns it in plain text. */
  async rotateToken(annotatorId: number): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    const { changes } = await this.db.run('UPDATE annotators SET token_hash = ? WHERE id = ?', [
      hashToken(token),
      annotatorId,
    ]);
    if (changes === 0) throw new Error(`no annotator with id ${annotatorId}`);
    return token;
  }

  async authenticate(token: string): Promise<Annotator | null> {
    if (token === '') return null;
    const row = await this.db.get<AnnotatorRow>('SELECT * FROM annotators WHERE token_hash = ?', [
      hashToken(token),
    ]);
    return row ? toAnnotator(row) : null;
  }

  async get(id: number): Promise<Annotator | null> {
    const row = await this.db.get<AnnotatorRow>('SELECT * FROM annotators WHERE id = ?', [id]);
    return row ? toAnnotator(row) : null;
  }

  async byName(name: string): Promise<Annotator | null> {
    const row = await this.db.get<AnnotatorRow>('SELECT * FROM annotators WHERE name = ?', [name]);
    return row ? toAnnotator(row) : null;
  }

  async list(): Promise<Annotator[]> {
    return (await this.db.all<AnnotatorRow>('SELECT * FROM annotators ORDER BY id')).map(toAnnotator);
  }
}
