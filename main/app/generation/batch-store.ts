// Finished generation batches, recorded as batch.json next to their PNGs under <library>/generated/<batchId>/;
// files written before the loaded scorers gave the chips are upgraded as they are read.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { CallOutput } from '../../contract';
import { ApiError } from '../../contract/errors';

export type Batch = CallOutput<'generate.batch'>;

const BATCH_ID = /^[A-Za-z0-9-]{1,100}$/;

/** Batches written before the loaded scorers gave the chips had one `scorer` (also in the settings). */
type LegacyBatch = Omit<Batch, 'images' | 'scorers' | 'scoreErrors' | 'settings' | 'loraWarnings'> & {
  settings: Batch['settings'] & { scorer?: unknown };
  images: (Omit<Batch['images'][number], 'scores'> & { scores?: Record<string, number> })[];
  scorers?: string[];
  scoreErrors?: Record<string, string>;
  loraWarnings?: string[];
  scorer?: unknown;
  score?: unknown;
};

function upgradeBatch({ scorer: _scorer, score: _score, ...batch }: LegacyBatch): Batch {
  const { scorer: _setting, ...settings } = batch.settings;
  return {
    ...batch,
    settings,
    images: batch.images.map(({ path: file, seed, scores }) => ({ path: file, seed, scores: scores ?? {} })),
    scorers: batch.scorers ?? [],
    scoreErrors: batch.scoreErrors ?? {},
    loraWarnings: batch.loraWarnings ?? [],
  };
}

export class BatchStore {
  // Scores arriving and "send to labeling" both rewrite batch.json: one update at a time per batch.
  private readonly updates = new Map<string, Promise<unknown>>();

  constructor(private readonly libraryDir: string) {}

  dir(batchId: string): string {
    if (!BATCH_ID.test(batchId)) throw new ApiError('bad_request', `"${batchId}" is not a batch id`);
    return path.join(this.libraryDir, 'generated', batchId);
  }

  async read(batchId: string): Promise<Batch> {
    const text = await readFile(path.join(this.dir(batchId), 'batch.json'), 'utf8').catch(() => undefined);
    if (text === undefined) throw new ApiError('not_found', `no finished batch "${batchId}"`);
    return upgradeBatch(JSON.parse(text) as LegacyBatch);
  }

  async write(batch: Batch): Promise<void> {
    await mkdir(this.dir(batch.batchId), { recursive: true });
    await writeFile(path.join(this.dir(batch.batchId), 'batch.json'), JSON.stringify(batch, null, 1));
  }

  update(batchId: string, change: (batch: Batch) => Batch): Promise<Batch> {
    const key = this.dir(batchId);
    const update = (this.updates.get(key) ?? Promise.resolve())
      .catch(() => undefined)
      .then(async () => {
        const batch = change(await this.read(batchId));
        await this.write(batch);
        return batch;
      });
    this.updates.set(key, update);
    void update.finally(() => this.updates.get(key) === update && this.updates.delete(key)).catch(() => {});
    return update;
  }

  /** Waits for the rewrites in flight (shutdown). */
  async settle(): Promise<void> {
    await Promise.allSettled([...this.updates.values()]);
  }
}
