import { crc32 } from 'node:zlib';

/** Hand-assembles pickle bytes opcode by opcode, the way torch's pickler (protocol 2) writes them. */
export class PickleWriter {
  private readonly out: number[] = [];

  private op(...bytes: number[]): this {
    this.out.push(...bytes);
    return this;
  }

  private u32(value: number): number[] {
    return [value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, (value >>> 24) & 0xff];
  }

  proto(version = 2): this {
    return this.op(0x80, version);
  }
  mark(): this {
    return this.op(0x28);
  }
  str(text: string): this {
    const bytes = new TextEncoder().encode(text);
    return this.op(0x58, ...this.u32(bytes.length), ...bytes);
  }
  shortStr(text: string): this {
    const bytes = new TextEncoder().encode(text);
    return this.op(0x8c, bytes.length, ...bytes);
  }
  int(value: number): this {
    if (value >= 0 && value < 256) return this.op(0x4b, value);
    if (value >= 0 && value < 65536) return this.op(0x4d, value & 0xff, value >> 8);
    return this.op(0x4a, ...this.u32(value));
  }
  /** LONG1, as torch writes big element counts. */
  long(value: bigint): this {
    const bytes: number[] = [];
    let rest = value;
    do {
      bytes.push(Number(rest & 0xffn));
      rest >>= 8n;
    } while (rest !== 0n || (bytes.at(-1)! & 0x80) !== 0);
    return this.op(0x8a, bytes.length, ...bytes);
  }
  global(module: string, name: string): this {
    return this.op(0x63, ...new TextEncoder().encode(`${module}\n${name}\n`));
  }
  inst(module: string, name: string): this {
    return this.op(0x69, ...new TextEncoder().encode(`${module}\n${name}\n`));
  }
  stackGlobal(): this {
    return this.op(0x93);
  }
  memoize(): this {
    return this.op(0x94);
  }
  frame(length: number): this {
    return this.op(0x95, ...this.u32(length), 0, 0, 0, 0);
  }
  put(index: number): this {
    return this.op(0x71, index);
  }
  get(index: number): this {
    return this.op(0x68, index);
  }
  tuple(): this {
    return this.op(0x74);
  }
  tuple1(): this {
    return this.op(0x85);
  }
  emptyTuple(): this {
    return this.op(0x29);
  }
  emptyDict(): this {
    return this.op(0x7d);
  }
  emptyList(): this {
    return this.op(0x5d);
  }
  appends(): this {
    return this.op(0x65);
  }
  setItem(): this {
    return this.op(0x73);
  }
  setItems(): this {
    return this.op(0x75);
  }
  reduce(): this {
    return this.op(0x52);
  }
  build(): this {
    return this.op(0x62);
  }
  persistentId(): this {
    return this.op(0x51);
  }
  newFalse(): this {
    return this.op(0x89);
  }
  none(): this {
    return this.op(0x4e);
  }
  raw(...bytes: number[]): this {
    return this.op(...bytes);
  }
  stop(): Uint8Array {
    return Uint8Array.from([...this.out, 0x2e]);
  }
  /** Ints as a tuple (MARK … TUPLE). */
  ints(values: readonly number[]): this {
    this.mark();
    for (const value of values) this.int(value);
    return this.tuple();
  }
}

export interface TensorSpec {
  name: string;
  storage: string; // e.g. 'FloatStorage'
  key: string;
  numel: number;
  offset?: number;
  shape: number[];
  stride?: number[];
}

function rowMajorStride(shape: number[]): number[] {
  const stride = new Array<number>(shape.length);
  let step = 1;
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    stride[axis] = step;
    step *= shape[axis]!;
  }
  return stride;
}

/** Appends `_rebuild_tensor_v2((storage pid), offset, shape, stride, False, OrderedDict())` to the stream. */
export function writeTensor(pickle: PickleWriter, spec: TensorSpec): PickleWriter {
  pickle.global('torch._utils', '_rebuild_tensor_v2').mark();
  pickle
    .mark()
    .str('storage')
    .global('torch', spec.storage)
    .str(spec.key)
    .str('cpu')
    .int(spec.numel)
    .tuple()
    .persistentId();
  pickle
    .int(spec.offset ?? 0)
    .ints(spec.shape)
    .ints(spec.stride ?? rowMajorStride(spec.shape))
    .newFalse();
  pickle.global('collections', 'OrderedDict').emptyTuple().reduce();
  return pickle.tuple().reduce();
}

/** `{'state_dict': OrderedDict(name → tensor)}` with the OrderedDict's `_metadata` BUILD state, as torch writes it. */
export function stateDictPickle(specs: TensorSpec[], wrapInStateDict = true): Uint8Array {
  const pickle = new PickleWriter().proto(2);
  if (wrapInStateDict) pickle.emptyDict().str('state_dict');
  pickle.global('collections', 'OrderedDict').emptyTuple().reduce().mark();
  for (const spec of specs) writeTensor(pickle.str(spec.name), spec);
  pickle.setItems();
  pickle
    .emptyDict()
    .str('_metadata')
    .global('collections', 'OrderedDict')
    .emptyTuple()
    .reduce()
    .setItem()
    .build();
  if (wrapInStateDict) pickle.setItem();
  return pickle.stop();
}

export interface ZipEntryInput {
  name: string;
  data: Uint8Array;
}

const FULL16 = 0xffff;
const FULL32 = 0xffffffff;

/**
 * A zip of stored (uncompressed) entries, like torch.save writes. `zip64` writes every size and offset in ZIP64
 * extra fields and a ZIP64 end record, as torch does for checkpoints over 4 GB.
 */
export function storedZip(entries: ZipEntryInput[], zip64 = false): Uint8Array {
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const { name, data } of entries) {
    const nameBytes = new TextEncoder().encode(name);
    const crc = crc32(data);
    const local = new DataView(new ArrayBuffer(30 + (zip64 ? 20 : 0)));
    local.setUint32(0, 0x04034b50, true);
    local.setUint16(4, zip64 ? 45 : 20, true);
    local.setUint32(14, crc, true);
    local.setUint32(18, zip64 ? FULL32 : data.byteLength, true);
    local.setUint32(22, zip64 ? FULL32 : data.byteLength, true);
    local.setUint16(26, nameBytes.length, true);
    local.setUint16(28, zip64 ? 20 : 0, true);
    if (zip64) writeZip64Extra(local, 30, [data.byteLength, data.byteLength]);
    const localHeader = new Uint8Array(local.buffer);
    // The extra field follows the name: split the header around it.
    parts.push(localHeader.subarray(0, 30), nameBytes, localHeader.subarray(30), data);
    const record = new DataView(new ArrayBuffer(46 + (zip64 ? 28 : 0)));
    record.setUint32(0, 0x02014b50, true);
    record.setUint16(4, zip64 ? 45 : 20, true);
    record.setUint16(6, zip64 ? 45 : 20, true);
    record.setUint32(16, crc, true);
    record.setUint32(20, zip64 ? FULL32 : data.byteLength, true);
    record.setUint32(24, zip64 ? FULL32 : data.byteLength, true);
    record.setUint16(28, nameBytes.length, true);
    record.setUint16(30, zip64 ? 28 : 0, true);
    record.setUint32(42, zip64 ? FULL32 : offset, true);
    if (zip64) writeZip64Extra(record, 46, [data.byteLength, data.byteLength, offset]);
    const recordBytes = new Uint8Array(record.buffer);
    central.push(recordBytes.subarray(0, 46), nameBytes, recordBytes.subarray(46));
    offset += 30 + nameBytes.length + (zip64 ? 20 : 0) + data.byteLength;
  }
  const centralSize = central.reduce((sum, part) => sum + part.byteLength, 0);
  const tail: Uint8Array[] = [];
  if (zip64) {
    const record = new DataView(new ArrayBuffer(56));
    record.setUint32(0, 0x06064b50, true);
    record.setBigUint64(4, 44n, true);
    record.setUint16(12, 45, true);
    record.setUint16(14, 45, true);
    record.setBigUint64(24, BigInt(entries.length), true);
    record.setBigUint64(32, BigInt(entries.length), true);
    record.setBigUint64(40, BigInt(centralSize), true);
    record.setBigUint64(48, BigInt(offset), true);
    const locator = new DataView(new ArrayBuffer(20));
    locator.setUint32(0, 0x07064b50, true);
    locator.setBigUint64(8, BigInt(offset + centralSize), true);
    locator.setUint32(16, 1, true);
    tail.push(new Uint8Array(record.buffer), new Uint8Array(locator.buffer));
  }
  const end = new DataView(new ArrayBuffer(22));
  end.setUint32(0, 0x06054b50, true);
  end.setUint16(8, zip64 ? FULL16 : entries.length, true);
  end.setUint16(10, zip64 ? FULL16 : entries.length, true);
  end.setUint32(12, zip64 ? FULL32 : centralSize, true);
  end.setUint32(16, zip64 ? FULL32 : offset, true);
  return Buffer.concat([...parts, ...central, ...tail, new Uint8Array(end.buffer)]);
}

function writeZip64Extra(view: DataView, at: number, values: number[]): void {
  view.setUint16(at, 0x0001, true);
  view.setUint16(at + 2, values.length * 8, true);
  values.forEach((value, i) => view.setBigUint64(at + 4 + i * 8, BigInt(value), true));
}

/** A torch.save-style archive: `<name>/data.pkl`, `<name>/data/<key>`, `<name>/version`. */
export function torchArchive(
  pickle: Uint8Array,
  storages: Record<string, Uint8Array> = {},
  name = 'archive',
  zip64 = false,
): Uint8Array {
  return storedZip(
    [
      { name: `${name}/data.pkl`, data: pickle },
      ...Object.entries(storages).map(([key, data]) => ({ name: `${name}/data/${key}`, data })),
      { name: `${name}/version`, data: new TextEncoder().encode('3\n') },
    ],
    zip64,
  );
}

/** Raw safetensors bytes from a header (object or literal text) and a data section; the length can be forged. */
export function rawSafetensors(
  header: object | string,
  data: Uint8Array = new Uint8Array(0),
  declaredLength?: bigint,
): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const prefix = new DataView(new ArrayBuffer(8));
  prefix.setBigUint64(0, declaredLength ?? BigInt(json.byteLength), true);
  return Buffer.concat([new Uint8Array(prefix.buffer), json, data]);
}

export function bytesOf(view: ArrayBufferView): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}
