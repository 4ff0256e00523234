import yauzl from 'yauzl';
import { CheckpointError } from './errors';
import type { RandomAccessFile } from './file-reader';

/** Random access into a zip's entries: stored entries are read in place by offset, compressed ones inflated. */
export class ZipArchive {
  private readonly dataStarts = new Map<string, number>();

  private constructor(
    private readonly file: RandomAccessFile,
    private readonly zip: yauzl.ZipFile,
    private readonly entries: Map<string, yauzl.Entry>,
  ) {}

  static async open(file: RandomAccessFile): Promise<ZipArchive> {
    let zip: yauzl.ZipFile;
    try {
      zip = await yauzl.fromFdPromise(file.fd, {
        autoClose: false,
        lazyEntries: true,
        strictFileNames: false,
      });
    } catch (error) {
      throw new CheckpointError(
        file.path,
        `not a readable zip archive (truncated or corrupt?): ${(error as Error).message}`,
      );
    }
    const entries = new Map<string, yauzl.Entry>();
    try {
      for await (const entry of zip.eachEntry()) entries.set(entry.fileName, entry);
    } catch (error) {
      throw new CheckpointError(file.path, `corrupt zip central directory: ${(error as Error).message}`);
    }
    return new ZipArchive(file, zip, entries);
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  /** The folder prefix (with trailing slash) holding data.pkl; refuses TorchScript archives and foreign zips. */
  checkpointPrefix(): string {
    const names = [...this.entries.keys()];
    if (names.some((name) => /^[^/]*\/?constants\.pkl$/.test(name) || /^[^/]*\/?code\//.test(name))) {
      throw new CheckpointError(
        this.file.path,
        'TorchScript archive (torch.jit.save), not a state-dict checkpoint: save the weights with torch.save(model.state_dict()) or as safetensors',
      );
    }
    const pickles = names.filter((name) => /^([^/]+\/)?data\.pkl$/.test(name));
    if (pickles.length !== 1) {
      throw new CheckpointError(
        this.file.path,
        `zip archive without exactly one data.pkl (found ${pickles.length}): not a PyTorch checkpoint`,
      );
    }
    return pickles[0]!.slice(0, -'data.pkl'.length);
  }

  async read(name: string, limit: number): Promise<Uint8Array> {
    const { uncompressedSize } = this.entry(name);
    if (uncompressedSize > limit) {
      throw new CheckpointError(
        this.file.path,
        `zip entry ${name} is ${uncompressedSize} bytes, over the ${limit}-byte limit`,
      );
    }
    return this.readRange(name, 0, uncompressedSize);
  }

  async readRange(name: string, start: number, length: number): Promise<Uint8Array> {
    const entry = this.entry(name);
    if (start + length > entry.uncompressedSize) {
      throw new CheckpointError(
        this.file.path,
        `zip entry ${name} has ${entry.uncompressedSize} bytes, needs ${start + length}`,
      );
    }
    if (entry.compressionMethod !== 0) return (await this.inflate(entry)).slice(start, start + length);
    return this.file.readAt((await this.dataStart(entry)) + start, length, `zip entry ${name}`);
  }

  private entry(name: string): yauzl.Entry {
    const entry = this.entries.get(name);
    if (!entry) throw new CheckpointError(this.file.path, `zip entry ${name} is missing`);
    if (entry.isEncrypted()) throw new CheckpointError(this.file.path, `zip entry ${name} is encrypted`);
    return entry;
  }

  private async dataStart(entry: yauzl.Entry): Promise<number> {
    const cached = this.dataStarts.get(entry.fileName);
    if (cached !== undefined) return cached;
    try {
      const { fileDataStart } = await this.zip.readLocalFileHeaderPromise(entry, { minimal: true });
      this.dataStarts.set(entry.fileName, fileDataStart);
      return fileDataStart;
    } catch (error) {
      throw new CheckpointError(this.file.path, `zip entry ${entry.fileName}: ${(error as Error).message}`);
    }
  }

  private async inflate(entry: yauzl.Entry): Promise<Uint8Array> {
    const chunks: Buffer[] = [];
    try {
      for await (const chunk of await this.zip.openReadStreamPromise(entry)) chunks.push(chunk as Buffer);
    } catch (error) {
      throw new CheckpointError(this.file.path, `zip entry ${entry.fileName}: ${(error as Error).message}`);
    }
    return new Uint8Array(Buffer.concat(chunks));
  }

  /** The fd belongs to `file`; yauzl's own close() would close it a second time, so it is not called. */
  close(): Promise<void> {
    return this.file.close();
  }
}
