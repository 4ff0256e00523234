import type { SqlDatabase } from './sql/database';

/** Named tags that curators put on images and comparisons. */
export class TagRepository {
  constructor(private readonly db: SqlDatabase) {}

  /** Every tag name in use, sorted. */
  async list(): Promise<string[]> {
    return (await this.db.all<{ name: string }>('SELECT name FROM tags ORDER BY name')).map(
      (row) => row.name,
    );
  }

  addToImages(imageIds: readonly number[], tag: string): Promise<void> {
    return this.add('image_tags', 'image_id', imageIds, tag);
  }

  removeFromImages(imageIds: readonly number[], tag: string): Promise<void> {
    return this.remove('image_tags', 'image_id', imageIds, tag);
  }

  addToComparisons(comparisonIds: readonly number[], tag: string): Promise<void> {
    return this.add('comparison_tags', 'comparison_id', comparisonIds, tag);
  }

  removeFromComparisons(comparisonIds: readonly number[], tag: string): Promise<void> {
    return this.remove('comparison_tags', 'comparison_id', comparisonIds, tag);
  }

  ofImage(imageId: number): Promise<string[]> {
    return this.namesOf('image_tags', 'image_id', imageId);
  }

  ofComparison(comparisonId: number): Promise<string[]> {
    return this.namesOf('comparison_tags', 'comparison_id', comparisonId);
  }

  private async add(table: string, column: string, ids: readonly number[], tag: string): Promise<void> {
    const name = tag.trim();
    if (name === '') throw new Error('tag name is empty');
    await this.db.transaction(async (tx) => {
      await tx.run('INSERT INTO tags (name) VALUES (?) ON CONFLICT(name) DO NOTHING', [name]);
      const { id } = (await tx.get<{ id: number }>('SELECT id FROM tags WHERE name = ?', [name]))!;
      for (const target of ids) {
        await tx.run(`INSERT INTO ${table} (${column}, tag_id) VALUES (?, ?) ON CONFLICT DO NOTHING`, [
          target,
          id,
        ]);
      }
    });
  }

  private async remove(table: string, column: string, ids: readonly number[], tag: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      for (const target of ids) {
        await tx.run(
          `DELETE FROM ${table} WHERE ${column} = ? AND tag_id = (SELECT id FROM tags WHERE name = ?)`,
          [target, tag.trim()],
        );
      }
    });
  }

  private async namesOf(table: string, column: string, id: number): Promise<string[]> {
    const rows = await this.db.all<{ name: string }>(
      `SELECT t.name FROM ${table} x JOIN tags t ON t.id = x.tag_id WHERE x.${column} = ? ORDER BY t.name`,
      [id],
    );
    return rows.map((row) => row.name);
  }
}
