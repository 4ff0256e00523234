import { open, type FileHandle } from 'node:fs/promises';
import { CheckpointError } from './errors';

/** Random-access reads from one open file, for readers that fetch tensor bytes on demand. */
export class RandomAccessFile {
  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
    readonly size: number,
  ) {}

  static async open(path: string): Promise<RandomAccessFile> {
    const handle = await open(path, 'r');
    try {
      const stats = await handle.stat();
      if (!stats.isFile()) throw new CheckpointError(path, 'not a regular file');
      return new RandomAccessFile(path, handle, stats.size);
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  get fd(): number {
    return this.handle.fd;
  }

  /** Exactly `length` bytes at `position` into a fresh buffer of its own (offset 0, so any typed view is aligned). */
  async readAt(position: number, length: number, what = 'data'): Promise<Uint8Array> {
    const bytes = new Uint8Array(length);
    let filled = 0;
    while (filled < length) {
      const { bytesRead } = await this.handle.read(bytes, filled, length - filled, position + filled);
      if (bytesRead === 0) {
        throw new CheckpointError(
          this.path,
          `unexpected end of file reading ${what} (${length} bytes at offset ${position}; file has ${this.size})`,
        );
      }
      filled += bytesRead;
    }
    return bytes;
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}
