import { CheckpointError } from './errors';
import { dtypeSize, isDType, type DType } from './dtypes';
import { RandomAccessFile } from './file-reader';
import { elementCount, type TensorData } from './tensor';

/** The reference implementation refuses headers above 100 MB; so do we (a corrupt length must not allocate GBs). */
export const MAX_HEADER_BYTES = 100_000_000;

export interface SafetensorsEntry {
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly byteLength: number;
  /** [begin, end) relative to the start of the data section. */
  readonly dataOffsets: readonly [number, number];
}

export interface SafetensorsHeader {
  readonly metadata: Readonly<Record<string, string>>;
  readonly entries: ReadonlyMap<string, SafetensorsEntry>;
}

export interface SafetensorsFile {
  readonly path: string;
  readonly metadata: Readonly<Record<string, string>>;
  names(): string[];
  has(name: string): boolean;
  info(name: string): SafetensorsEntry;
  /** Raw little-endian bytes of one tensor, read from disk now. */
  read(name: string): Promise<Uint8Array>;
  tensor(name: string): TensorData;
  tensors(): Map<string, TensorData>;
  close(): Promise<void>;
}

export async function openSafetensors(path: string): Promise<SafetensorsFile> {
  const file = await RandomAccessFile.open(path);
  try {
    const header = await readHeader(file);
    return new OpenSafetensors(
      file,
      header.headerEnd,
      parseSafetensorsHeader(path, header.json, file.size - header.headerEnd),
    );
  } catch (error) {
    await file.close();
    throw error;
  }
}

async function readHeader(file: RandomAccessFile): Promise<{ json: Uint8Array; headerEnd: number }> {
  if (file.size < 8)
    throw new CheckpointError(file.path, `safetensors file too short (${file.size} bytes, no header length)`);
  const lengthBytes = await file.readAt(0, 8, 'header length');
  const declared = new DataView(lengthBytes.buffer).getBigUint64(0, true);
  if (declared > BigInt(MAX_HEADER_BYTES)) {
    throw new CheckpointError(
      file.path,
      `safetensors header length ${declared} exceeds the ${MAX_HEADER_BYTES}-byte limit`,
    );
  }
  const length = Number(declared);
  if (8 + length > file.size) {
    throw new CheckpointError(
      file.path,
      `safetensors header length ${length} runs past the end of the file (${file.size} bytes): truncated?`,
    );
  }
  return { json: await file.readAt(8, length, 'header'), headerEnd: 8 + length };
}

/** Validates a header against the size of the data section that follows it. */
export function parseSafetensorsHeader(path: string, json: Uint8Array, dataSize: number): SafetensorsHeader {
  const parsed = parseJsonObject(path, json);
  let metadata: Record<string, string> = {};
  const entries = new Map<string, SafetensorsEntry>();
  for (const [name, value] of Object.entries(parsed)) {
    if (name === '__metadata__') metadata = parseMetadata(path, value);
    else entries.set(name, parseEntry(path, name, value, dataSize));
  }
  checkNoOverlap(path, entries);
  return { metadata, entries };
}

function parseJsonObject(path: string, json: Uint8Array): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(json));
  } catch (error) {
    throw new CheckpointError(
      path,
      `safetensors header is not valid UTF-8 JSON (${(error as Error).message})`,
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new CheckpointError(path, 'safetensors header is not a JSON object');
  }
  return parsed as Record<string, unknown>;
}

function parseMetadata(path: string, value: unknown): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CheckpointError(path, '__metadata__ must be an object of strings');
  }
  for (const [key, item] of Object.entries(value)) {
    if (typeof item !== 'string')
      throw new CheckpointError(path, `__metadata__ value for "${key}" is not a string`);
  }
  return value as Record<string, string>;
}

function parseEntry(path: string, name: string, value: unknown, dataSize: number): SafetensorsEntry {
  const fail = (detail: string): never => {
    throw new CheckpointError(path, detail, name);
  };
  if (typeof value !== 'object' || value === null) return fail('header entry is not an object');
  const { dtype, shape, data_offsets: offsets } = value as Record<string, unknown>;
  if (!isDType(dtype)) return fail(`unknown dtype ${JSON.stringify(dtype)}`);
  if (!Array.isArray(shape) || !shape.every(isNonNegativeInteger))
    return fail(`shape ${JSON.stringify(shape)} is not a list of non-negative integers`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isNonNegativeInteger)) {
    return fail(`data_offsets ${JSON.stringify(offsets)} is not a pair of non-negative integers`);
  }
  const [begin, end] = offsets as [number, number];
  if (begin > end) return fail(`data_offsets [${begin}, ${end}] run backwards`);
  if (end > dataSize)
    return fail(
      `data_offsets [${begin}, ${end}] exceed the data section (${dataSize} bytes): truncated or corrupt file`,
    );
  const expected = elementCount(shape) * dtypeSize(dtype);
  if (expected !== end - begin)
    return fail(
      `shape [${shape.join(', ')}] of ${dtype} needs ${expected} bytes but data_offsets span ${end - begin}`,
    );
  return { dtype, shape, byteLength: expected, dataOffsets: [begin, end] };
}

function isNonNegativeInteger(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

function checkNoOverlap(path: string, entries: Map<string, SafetensorsEntry>): void {
  const spans = [...entries]
    .filter(([, entry]) => entry.byteLength > 0)
    .sort(([, a], [, b]) => a.dataOffsets[0] - b.dataOffsets[0]);
  for (let i = 1; i < spans.length; i++) {
    const [previousName, previous] = spans[i - 1]!;
    const [name, current] = spans[i]!;
    if (current.dataOffsets[0] < previous.dataOffsets[1]) {
      throw new CheckpointError(
        path,
        `data overlaps tensor "${previousName}" ([${previous.dataOffsets.join(', ')}] vs [${current.dataOffsets.join(', ')}])`,
        name,
      );
    }
  }
}

class OpenSafetensors implements SafetensorsFile {
  constructor(
    private readonly file: RandomAccessFile,
    private readonly dataStart: number,
    private readonly header: SafetensorsHeader,
  ) {}

  get path(): string {
    return this.file.path;
  }

  get metadata(): Readonly<Record<string, string>> {
    return this.header.metadata;
  }

  names(): string[] {
    return [...this.header.entries.keys()];
  }

  has(name: string): boolean {
    return this.header.entries.has(name);
  }

  info(name: string): SafetensorsEntry {
    const entry = this.header.entries.get(name);
    if (!entry) throw new CheckpointError(this.path, 'no such tensor in this file', name);
    return entry;
  }

  read(name: string): Promise<Uint8Array> {
    const { dataOffsets, byteLength } = this.info(name);
    return this.file.readAt(this.dataStart + dataOffsets[0], byteLength, `tensor "${name}"`);
  }

  tensor(name: string): TensorData {
    const { dtype, shape, byteLength } = this.info(name);
    return { dtype, shape, byteLength, read: () => this.read(name) };
  }

  tensors(): Map<string, TensorData> {
    return new Map(this.names().map((name) => [name, this.tensor(name)]));
  }

  close(): Promise<void> {
    return this.file.close();
  }
}
