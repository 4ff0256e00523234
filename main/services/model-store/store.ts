import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { bundledCatalog, findEntry, withRequirements, type Catalog, type CatalogEntry } from './catalog';
import { DownloadError } from './download-error';
import { discardPartial, downloadFile, partPaths, type DownloadOptions } from './downloader';

export type ModelState = 'installed' | 'partial' | 'absent' | 'downloading';

export interface ModelFileStatus {
  path: string;
  /** The complete, verified file is in place. */
  present: boolean;
  bytes: number;
  /** Bytes of a paused download waiting to be resumed. */
  partialBytes: number;
  expectedSize: number | null;
}

export interface ModelStatus {
  id: string;
  state: ModelState;
  /** Everything this model occupies on disk, paused downloads included. */
  bytesOnDisk: number;
  /** Download size: exact when every file's size is known, else an estimate (`sizeIsEstimate`). */
  downloadSize: number;
  sizeIsEstimate: boolean;
  files: ModelFileStatus[];
}

export interface ModelDownloadProgress {
  modelId: string;
  file: string;
  fileBytes: number;
  fileTotal: number | null;
  /** Across all files of this model. */
  bytes: number;
  total: number;
  totalIsEstimate: boolean;
  bytesPerSecond: number;
}

export interface ModelStoreOptions {
  /** Folder that holds one sub-folder per model id, e.g. `<user data>/models`. */
  root: string;
  catalog?: Catalog;
  /** Passed to every file download (headers for gated repositories, retry policy). */
  download?: Pick<
    DownloadOptions,
    'headers' | 'retries' | 'retryDelayMs' | 'progressIntervalMs' | 'freeSpace'
  >;
}

export interface ImportResult {
  path: string;
  bytes: number;
  sha256: string;
  /** Whether the file is byte-identical to the catalog's (null: the catalog publishes no hash for it). */
  matchesCatalog: boolean | null;
  status: ModelStatus;
}

interface InstalledManifest {
  id: string;
  installedAt: string;
  files: { path: string; bytes: number; sha256: string | null }[];
}

const MANIFEST = '.installed.json';

/** The local model store: which catalog models are on disk, and downloading, pausing, cancelling, removing them. */
export class ModelStore {
  readonly root: string;
  readonly catalog: Catalog;
  private readonly active = new Map<string, AbortController>();

  constructor(private readonly options: ModelStoreOptions) {
    this.root = options.root;
    this.catalog = options.catalog ?? bundledCatalog();
  }

  modelDir(id: string): string {
    return join(this.root, findEntry(this.catalog, id).id);
  }

  /** Absolute path of one of a model's files (whether or not it is downloaded yet). */
  filePath(id: string, file: string): string {
    const entry = findEntry(this.catalog, id);
    if (!entry.files.some((candidate) => candidate.path === file))
      throw new Error(`model "${id}" has no file "${file}"`);
    return join(this.root, entry.id, file);
  }

  async status(id: string): Promise<ModelStatus> {
    const entry = findEntry(this.catalog, id);
    const files = await Promise.all(entry.files.map((file) => this.fileStatus(entry, file.path, file.size)));
    const complete = await this.isInstalled(entry);
    const anything = files.some((file) => file.present || file.partialBytes > 0);
    // An installed requirement of a model being downloaded stays "installed".
    const state: ModelState = complete
      ? 'installed'
      : this.active.has(entry.id)
        ? 'downloading'
        : anything
          ? 'partial'
          : 'absent';
    return {
      id: entry.id,
      state,
      bytesOnDisk: files.reduce((sum, file) => sum + file.bytes + file.partialBytes, 0),
      ...downloadSize(entry),
      files,
    };
  }

  list(): Promise<ModelStatus[]> {
    return Promise.all(this.catalog.models.map((entry) => this.status(entry.id)));
  }

  /**
   * Downloads the model (and, by default, what it requires) file by file, skipping what is already verified on
   * disk and resuming paused files. Resolves with the model's status; rejects with a DownloadError.
   */
  async download(
    id: string,
    options: {
      signal?: AbortSignal;
      onProgress?: (progress: ModelDownloadProgress) => void;
      requirements?: boolean;
    } = {},
  ): Promise<ModelStatus> {
    const target = findEntry(this.catalog, id);
    const entries = options.requirements === false ? [target] : withRequirements(this.catalog, id);
    // Claimed before the first await, so two calls cannot both start. One controller for the whole run: pausing
    // the model also pauses the requirement being fetched for it.
    const controller = new AbortController();
    const claimed = this.claim(entries, controller);
    const signal = options.signal ? AbortSignal.any([options.signal, controller.signal]) : controller.signal;
    try {
      for (const entry of entries) {
        if (!(await this.isInstalled(entry))) await this.downloadEntry(entry, signal, options.onProgress);
      }
    } finally {
      for (const claimedId of claimed) this.active.delete(claimedId);
    }
    return this.status(id);
  }

  /** Stops a running download; its partial files stay for a later `download` to resume. */
  pause(id: string): boolean {
    const controller = this.active.get(findEntry(this.catalog, id).id);
    controller?.abort();
    return controller !== undefined;
  }

  /** Stops a running download and deletes its partial files; completed files of the model stay. */
  async cancel(id: string): Promise<void> {
    const entry = findEntry(this.catalog, id);
    this.active.get(entry.id)?.abort();
    await this.whenIdle(entry.id);
    await Promise.all(entry.files.map((file) => discardPartial(join(this.root, entry.id, file.path))));
  }

  /** Deletes everything of this model from disk. */
  async remove(id: string): Promise<void> {
    const entry = findEntry(this.catalog, id);
    if (this.active.has(entry.id)) throw new Error(`model "${entry.id}" is downloading: cancel it first`);
    await rm(join(this.root, entry.id), { recursive: true, force: true });
  }

  /** Bytes under the store's root, paused downloads included. */
  async diskUsage(): Promise<number> {
    if (!existsSync(this.root)) return 0;
    const entries = await readdir(this.root, { recursive: true, withFileTypes: true });
    const sizes = await Promise.all(
      entries
        .filter((entry) => entry.isFile())
        .map((entry) => stat(join(entry.parentPath, entry.name)).then((stats) => stats.size)),
    );
    return sizes.reduce((sum, size) => sum + size, 0);
  }

  private claim(entries: CatalogEntry[], controller: AbortController): string[] {
    const busy = entries.find((entry) => this.active.has(entry.id));
    if (busy) throw new Error(`model "${busy.id}" is already downloading`);
    for (const entry of entries) this.active.set(entry.id, controller);
    return entries.map((entry) => entry.id);
  }

  private async isInstalled(entry: CatalogEntry): Promise<boolean> {
    const manifest = await this.readManifest(entry.id);
    const files = await Promise.all(entry.files.map((file) => this.fileStatus(entry, file.path, file.size)));
    return manifest !== null && files.every((file) => file.present);
  }

  private async downloadEntry(
    entry: CatalogEntry,
    signal: AbortSignal,
    onProgress: ((progress: ModelDownloadProgress) => void) | undefined,
  ): Promise<void> {
    const { downloadSize: total, sizeIsEstimate } = downloadSize(entry);
    const manifest: Pick<InstalledManifest, 'files'> = { files: [] };
    let done = 0;
    for (const file of entry.files) {
      const destination = join(this.root, entry.id, file.path);
      const existing = await stat(destination).then(
        (stats) => stats.size,
        () => null,
      );
      if (existing !== null && (file.size === null || existing === file.size)) {
        manifest.files.push({ path: file.path, bytes: existing, sha256: file.sha256 });
      } else {
        const result = await downloadFile({
          ...this.options.download,
          urls: file.urls,
          destination,
          size: file.size,
          sha256: file.sha256,
          signal,
          onProgress: (progress) =>
            onProgress?.({
              modelId: entry.id,
              file: file.path,
              fileBytes: progress.bytes,
              fileTotal: progress.total,
              bytes: done + progress.bytes,
              total,
              totalIsEstimate: sizeIsEstimate,
              bytesPerSecond: progress.bytesPerSecond,
            }),
        });
        manifest.files.push({ path: file.path, bytes: result.bytes, sha256: result.sha256 });
      }
      done += manifest.files.at(-1)!.bytes;
    }
    await this.writeManifest(entry, manifest.files);
  }

  /**
   * Copies a file the user already has (e.g. hpc.pt from OneDrive) into the store as one of a model's files, hashing
   * it on the way. A hash that differs from the catalog's does not block the import (a catalog hash may come from a
   * mirror): `matchesCatalog` tells the caller, and is null when the catalog has no hash for the file.
   */
  async importFile(id: string, file: string, source: string): Promise<ImportResult> {
    const entry = findEntry(this.catalog, id);
    const spec = entry.files.find((candidate) => candidate.path === file);
    if (!spec) throw new Error(`model "${id}" has no file "${file}"`);
    if (this.active.has(entry.id)) throw new Error(`model "${entry.id}" is downloading: cancel it first`);
    const destination = join(this.root, entry.id, file);
    await mkdir(dirname(destination), { recursive: true });
    const temporary = `${destination}.import`;
    const hash = createHash('sha256');
    try {
      await pipeline(
        createReadStream(source),
        new Transform({
          transform(chunk: Buffer, _encoding, done) {
            hash.update(chunk);
            done(null, chunk);
          },
        }),
        createWriteStream(temporary),
      );
    } catch (error) {
      await rm(temporary, { force: true });
      if ((error as NodeJS.ErrnoException).code === 'ENOSPC') {
        throw new DownloadError(
          'disk-full',
          `disk full while importing ${source}: free some space and retry`,
        );
      }
      throw new Error(`cannot import ${source}: ${(error as Error).message}`, { cause: error });
    }
    await rename(temporary, destination);
    await discardPartial(destination);
    const sha256 = hash.digest('hex');
    const bytes = (await stat(destination)).size;
    const files = await Promise.all(
      entry.files.map((candidate) => this.fileStatus(entry, candidate.path, candidate.size)),
    );
    if (files.every((candidate) => candidate.present)) {
      await this.writeManifest(
        entry,
        files.map((candidate) => ({
          path: candidate.path,
          bytes: candidate.bytes,
          sha256:
            candidate.path === file
              ? sha256
              : (entry.files.find((f) => f.path === candidate.path)?.sha256 ?? null),
        })),
      );
    }
    return {
      path: destination,
      bytes,
      sha256,
      matchesCatalog: spec.sha256 === null ? null : spec.sha256 === sha256,
      status: await this.status(entry.id),
    };
  }

  /** Which catalog model file this file is, by its sha256 (null when no catalog hash matches). */
  async identifyFile(path: string): Promise<{ modelId: string; file: string } | null> {
    const hash = createHash('sha256');
    for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
    const digest = hash.digest('hex');
    for (const entry of this.catalog.models) {
      const match = entry.files.find((file) => file.sha256 === digest);
      if (match) return { modelId: entry.id, file: match.path };
    }
    return null;
  }

  private async writeManifest(entry: CatalogEntry, files: InstalledManifest['files']): Promise<void> {
    const manifest: InstalledManifest = { id: entry.id, installedAt: new Date().toISOString(), files };
    await writeFile(join(this.root, entry.id, MANIFEST), JSON.stringify(manifest, null, 2));
  }

  private async whenIdle(id: string): Promise<void> {
    while (this.active.has(id)) await new Promise((resolve) => setTimeout(resolve, 10));
  }

  private async fileStatus(
    entry: CatalogEntry,
    path: string,
    expectedSize: number | null,
  ): Promise<ModelFileStatus> {
    const destination = join(this.root, entry.id, path);
    const bytes = await stat(destination).then(
      (stats) => stats.size,
      () => null,
    );
    const partialBytes = await stat(partPaths(destination).part).then(
      (stats) => stats.size,
      () => 0,
    );
    return { path, present: bytes !== null, bytes: bytes ?? 0, partialBytes, expectedSize };
  }

  private async readManifest(id: string): Promise<InstalledManifest | null> {
    return readFile(join(this.root, id, MANIFEST), 'utf8').then(
      (text) => JSON.parse(text) as InstalledManifest,
      () => null,
    );
  }
}

function downloadSize(entry: CatalogEntry): { downloadSize: number; sizeIsEstimate: boolean } {
  return {
    downloadSize: entry.files.reduce((sum, file) => sum + (file.size ?? file.approxSize ?? 0), 0),
    sizeIsEstimate: entry.files.some((file) => file.size === null),
  };
}
