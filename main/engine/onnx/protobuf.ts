// Protocol-buffers wire-format writer, just enough to emit ONNX protos.
// A message is kept as a list of chunks so large tensor payloads are referenced, not copied, until the
// final join (or never, when the chunks are streamed straight to a file).

export class ProtoMessage {
  readonly chunks: Uint8Array[] = [];
  byteLength = 0;

  private push(bytes: Uint8Array): this {
    this.chunks.push(bytes);
    this.byteLength += bytes.byteLength;
    return this;
  }

  private key(field: number, wireType: 0 | 1 | 2 | 5): this {
    return this.push(encodeVarint(BigInt(field * 8 + wireType)));
  }

  /** int32/int64/enum/bool field (varint; negative numbers as 10-byte two's complement). */
  int(field: number, value: number | bigint): this {
    return this.key(field, 0).push(encodeVarint(BigInt(value)));
  }

  /** Repeated int64 written unpacked (onnx.proto is proto2 without [packed = true]). */
  ints(field: number, values: readonly (number | bigint)[]): this {
    for (const v of values) this.int(field, v);
    return this;
  }

  float(field: number, value: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    return this.key(field, 5).push(b);
  }

  floats(field: number, values: readonly number[]): this {
    for (const v of values) this.float(field, v);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  bytes(field: number, value: Uint8Array): this {
    return this.key(field, 2)
      .push(encodeVarint(BigInt(value.byteLength)))
      .push(value);
  }

  message(field: number, child: ProtoMessage): this {
    this.key(field, 2).push(encodeVarint(BigInt(child.byteLength)));
    for (const c of child.chunks) this.push(c);
    return this;
  }

  /** Joins all chunks into one contiguous buffer. */
  toBytes(): Uint8Array {
    const out = new Uint8Array(this.byteLength);
    let offset = 0;
    for (const c of this.chunks) {
      out.set(c, offset);
      offset += c.byteLength;
    }
    return out;
  }
}

const U64_MASK = (1n << 64n) - 1n;

export function encodeVarint(value: bigint): Uint8Array {
  let v = value < 0n ? value & U64_MASK : value;
  const out: number[] = [];
  while (v > 0x7fn) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return Uint8Array.from(out);
}
