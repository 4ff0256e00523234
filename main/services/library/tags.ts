import type Database from 'better-sqlite3';

/** Named tags that curators put on images and comparisons. */
export class TagRepository {
  constructor(private readonly db: Database.Database) {}

  /** Every tag name in use, sorted. */
  list(): string[] {
    return (this.db.prepare('SELECT name FROM tags ORDER BY name').all() as { name: string }[]).map(
      (row) => row.name,
    );
  }

  addToImages(imageIds: readonly number[], tag: string): void {
    this.add('image_tags', 'image_id', imageIds, tag);
  }

  removeFromImages(imageIds: readonly number[], tag: string): void {
    this.remove('image_tags', 'image_id', imageIds, tag);
  }

  addToComparisons(comparisonIds: readonly number[], tag: string): void {
    this.add('comparison_tags', 'comparison_id', comparisonIds, tag);
  }

  removeFromComparisons(comparisonIds: readonly number[], tag: string): void {
    this.remove('comparison_tags', 'comparison_id', comparisonIds, tag);
  }

  ofImage(imageId: number): string[] {
    return this.namesOf('image_tags', 'image_id', imageId);
  }

  ofComparison(comparisonId: number): string[] {
    return this.namesOf('comparison_tags', 'comparison_id', comparisonId);
  }

  private add(table: string, column: string, ids: readonly number[], tag: string): void {
    const name = tag.trim();
    if (name === '') throw new Error('tag name is empty');
    this.db.transaction(() => {
      this.db.prepare('INSERT INTO tags (name) VALUES (?) ON CONFLICT(name) DO NOTHING').run(name);
      const { id } = this.db.prepare('SELECT id FROM tags WHERE name = ?').get(name) as { id: number };
      const insert = this.db.prepare(
        `INSERT INTO ${table} (${column}, tag_id) VALUES (?, ?) ON CONFLICT DO NOTHING`,
      );
      for (const target of ids) insert.run(target, id);
    })();
  }

  private remove(table: string, column: string, ids: readonly number[], tag: string): void {
    const remove = this.db.prepare(
      `DELETE FROM ${table} WHERE ${column} = ? AND tag_id = (SELECT id FROM tags WHERE name = ?)`,
    );
    this.db.transaction(() => ids.forEach((target) => remove.run(target, tag.trim())))();
  }

  private namesOf(table: string, column: string, id: number): string[] {
    return (
      this.db
        .prepare(
          `SELECT t.name FROM ${table} x JOIN tags t ON t.id = x.tag_id WHERE x.${column} = ? ORDER BY t.name`,
        )
        .all(id) as { name: string }[]
    ).map((row) => row.name);
  }
}
