// Checkpoints imported outside the catalog (a trained scorer, a LoRA, a fine-tuned SD model): copied into
// `<store>/local/<id>/` or registered where they lie, listed in `<store>/local.json`.
import { randomUUID } from 'node:crypto';
import { cp, mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { z } from 'zod';
import { DetectedKindSchema } from '../../contract/names';
import type { DetectedCheckpoint } from './detect';

const LocalModelRecord = z.object({
  id: z.string().regex(/^local-[0-9a-f-]+$/),
  name: z.string(),
  path: z.string(),
  mode: z.enum(['copied', 'in-place']),
  detected: z.object({
    path: z.string(),
    kind: DetectedKindSchema,
    label: z.string(),
    format: z.enum(['safetensors', 'torch', 'folder']),
    details: z.record(z.string(), z.union([z.string(), z.number()])),
  }),
  addedAt: z.string(),
});
export type LocalModel = z.infer<typeof LocalModelRecord>;

const Registry = z.object({ version: z.literal(1), models: z.array(LocalModelRecord) });

export class LocalModels {
  private readonly file: string;
  /** Writes of local.json one after another, so two imports cannot lose each other's entry. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly root: string) {
    this.file = join(root, 'local.json');
  }

  async list(): Promise<LocalModel[]> {
    const text = await readFile(this.file, 'utf8').catch(() => undefined);
    if (text === undefined) return [];
    const parsed = Registry.safeParse(JSON.parse(text));
    if (!parsed.success) throw new Error(`${this.file} is damaged: ${z.prettifyError(parsed.error)}`);
    return parsed.data.models;
  }

  async get(id: string): Promise<LocalModel | undefined> {
    return (await this.list()).find((model) => model.id === id);
  }

  /** Copies (file or folder) into the store, or records the path as is. */
  add(detected: DetectedCheckpoint, mode: LocalModel['mode'], name?: string): Promise<LocalModel> {
    return this.serial(async () => {
      const id = `local-${randomUUID()}`;
      let path = detected.path;
      if (mode === 'copied') {
        const folder = join(this.root, 'local', id);
        await mkdir(folder, { recursive: true });
        path = join(folder, basename(detected.path));
        // Copied under a temporary name first: a half-copied model is never listed.
        await cp(detected.path, `${path}.import`, { recursive: true, errorOnExist: true });
        await rename(`${path}.import`, path);
      }
      const model: LocalModel = {
        id,
        name: name ?? basename(detected.path),
        path,
        mode,
        detected,
        addedAt: new Date().toISOString(),
      };
      await this.write([...(await this.list()), model]);
      return model;
    });
  }

  /** Forgets the model; deletes the copy, never a file registered in place. Returns the bytes freed. */
  remove(id: string): Promise<number> {
    return this.serial(async () => {
      const models = await this.list();
      const model = models.find((candidate) => candidate.id === id);
      if (!model) throw new Error(`no local model "${id}"`);
      let freed = 0;
      if (model.mode === 'copied') {
        const folder = join(this.root, 'local', id);
        freed = await bytesUnder(folder);
        await rm(folder, { recursive: true, force: true });
      }
      await this.write(models.filter((candidate) => candidate.id !== id));
      return freed;
    });
  }

  private async write(models: LocalModel[]): Promise<void> {
    await mkdir(this.root, { recursive: true });
    await writeFile(`${this.file}.tmp`, JSON.stringify({ version: 1, models }, null, 2));
    await rename(`${this.file}.tmp`, this.file);
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }
}

/** Bytes of a file, or of every file under a folder; 0 when it is gone. */
export async function bytesUnder(path: string): Promise<number> {
  const info = await stat(path).catch(() => undefined);
  if (!info) return 0;
  if (!info.isDirectory()) return info.size;
  const entries = await readdir(path, { recursive: true, withFileTypes: true });
  const sizes = await Promise.all(
    entries.filter((e) => e.isFile()).map((e) => stat(join(e.parentPath, e.name)).then((s) => s.size)),
  );
  return sizes.reduce((sum, size) => sum + size, 0);
}
