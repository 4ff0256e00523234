import { CheckpointError } from './errors';

/**
 * A restricted unpickler: a pickle stack machine that never imports or calls anything by itself. Every GLOBAL
 * goes through `resolveGlobal`, which returns only the harmless callables the caller allows; anything else is
 * refused with an error naming it, before any later opcode runs.
 */

/** A global the caller allowed: REDUCE/NEWOBJ call it with the argument tuple. */
export class PickleCallable {
  constructor(
    readonly qualifiedName: string,
    readonly call: (args: unknown[]) => unknown,
  ) {}
}

/** An allowed global used as a value, never called (e.g. a torch storage type inside a persistent id). */
export class PickleMarker {
  constructor(
    readonly qualifiedName: string,
    readonly value: unknown,
  ) {}
}

/** A plain-data object an allowed callable returned that also takes BUILD state (e.g. a numpy dtype's byte order). */
export abstract class PickleObject {
  abstract setState(state: unknown): void;
}

export interface UnpickleOptions {
  /** Named in every error. */
  readonly file: string;
  resolveGlobal(module: string, name: string): PickleCallable | PickleMarker | undefined;
  persistentLoad(pid: unknown): unknown;
}

class Unpickler {
  private position = 0;
  private stack: unknown[] = [];
  private readonly marks: number[] = [];
  private readonly memo = new Map<number, unknown>();
  private readonly view: DataView;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly options: UnpickleOptions,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  run(): unknown {
    for (;;) {
      const offset = this.position;
      const opcode = this.u8();
      if (opcode === 0x2e) return this.pop(); // STOP
      this.step(opcode, offset);
    }
  }

  private fail(detail: string): never {
    throw new CheckpointError(this.options.file, `pickle: ${detail}`);
  }

  private step(opcode: number, offset: number): void {
    // One line per opcode reads as the table it is.
    // prettier-ignore
    switch (opcode) {
      case 0x80: this.u8(); return; // PROTO
      case 0x95: this.take(8); return; // FRAME: framing does not change meaning
      case 0x28: this.marks.push(this.stack.length); return; // MARK
      case 0x30: this.pop(); return; // POP
      case 0x31: this.popMark(); return; // POP_MARK
      case 0x32: this.push(this.top()); return; // DUP
      case 0x4e: this.push(null); return; // NONE
      case 0x88: this.push(true); return; // NEWTRUE
      case 0x89: this.push(false); return; // NEWFALSE
      case 0x4a: this.push(this.view.getInt32(this.advance(4), true)); return; // BININT
      case 0x4b: this.push(this.u8()); return; // BININT1
      case 0x4d: this.push(this.view.getUint16(this.advance(2), true)); return; // BININT2
      case 0x8a: this.push(decodeLong(this.take(this.u8()))); return; // LONG1
      case 0x8b: this.push(decodeLong(this.take(this.length32()))); return; // LONG4
      case 0x47: this.push(this.view.getFloat64(this.advance(8), false)); return; // BINFLOAT (big-endian)
      case 0x58: this.push(this.utf8(this.length32())); return; // BINUNICODE
      case 0x8c: this.push(this.utf8(this.u8())); return; // SHORT_BINUNICODE
      case 0x8d: this.push(this.utf8(this.length64())); return; // BINUNICODE8
      case 0x54: this.push(this.latin1(this.length32())); return; // BINSTRING (Python 2 str)
      case 0x55: this.push(this.latin1(this.u8())); return; // SHORT_BINSTRING
      case 0x42: this.push(this.take(this.length32()).slice()); return; // BINBYTES
      case 0x43: this.push(this.take(this.u8()).slice()); return; // SHORT_BINBYTES
      case 0x8e: this.push(this.take(this.length64()).slice()); return; // BINBYTES8
      case 0x96: this.push(this.take(this.length64()).slice()); return; // BYTEARRAY8
      case 0x29: this.push([]); return; // EMPTY_TUPLE
      case 0x74: this.push(this.popMark()); return; // TUPLE
      case 0x85: this.push(this.popN(1)); return; // TUPLE1
      case 0x86: this.push(this.popN(2)); return; // TUPLE2
      case 0x87: this.push(this.popN(3)); return; // TUPLE3
      case 0x5d: this.push([]); return; // EMPTY_LIST
      case 0x6c: this.push(this.popMark()); return; // LIST
      case 0x61: this.appendTo(this.pop()); return; // APPEND
      case 0x65: this.appendTo(...this.popMark()); return; // APPENDS
      case 0x7d: this.push(new Map()); return; // EMPTY_DICT
      case 0x64: this.push(this.setItems(new Map(), this.popMark())); return; // DICT
      case 0x73: this.setItems(this.topBelow(2), this.popN(2)); return; // SETITEM
      case 0x75: { const items = this.popMark(); this.setItems(this.top(), items); return; } // SETITEMS
      case 0x8f: this.push(new Set()); return; // EMPTY_SET
      case 0x90: { const items = this.popMark(); this.addItems(this.top(), items); return; } // ADDITEMS
      case 0x91: this.push(new Set(this.popMark())); return; // FROZENSET
      case 0x71: this.memo.set(this.u8(), this.top()); return; // BINPUT
      case 0x72: this.memo.set(this.length32(), this.top()); return; // LONG_BINPUT
      case 0x94: this.memo.set(this.memo.size, this.top()); return; // MEMOIZE
      case 0x68: this.push(this.memoGet(this.u8())); return; // BINGET
      case 0x6a: this.push(this.memoGet(this.length32())); return; // LONG_BINGET
      case 0x63: this.push(this.resolve(this.line(), this.line())); return; // GLOBAL
      case 0x93: { const [module, name] = this.popN(2); this.push(this.resolve(this.asString(module), this.asString(name))); return; } // STACK_GLOBAL
      case 0x69: { const callable = this.resolve(this.line(), this.line()); this.push(this.call(callable, this.popMark())); return; } // INST
      case 0x6f: { const [callable, ...args] = this.popMark(); this.push(this.call(callable, args)); return; } // OBJ
      case 0x52: { const [callable, args] = this.popN(2); this.push(this.call(callable, this.asArgs(args))); return; } // REDUCE
      case 0x81: { const [cls, args] = this.popN(2); this.push(this.call(cls, this.asArgs(args))); return; } // NEWOBJ
      case 0x92: { const [cls, args] = this.popN(3); this.push(this.call(cls, this.asArgs(args))); return; } // NEWOBJ_EX (kwargs dropped)
      case 0x62: this.build(); return; // BUILD
      case 0x51: this.push(this.options.persistentLoad(this.pop())); return; // BINPERSID
      default:
        this.fail(`unsupported opcode 0x${opcode.toString(16).padStart(2, '0')} at byte ${offset}`);
    }
  }

  private resolve(module: string, name: string): PickleCallable | PickleMarker {
    let resolved: PickleCallable | PickleMarker | undefined;
    try {
      resolved = this.options.resolveGlobal(module, name);
    } catch (error) {
      return this.fail((error as Error).message);
    }
    if (resolved) return resolved;
    throw new CheckpointError(
      this.options.file,
      `refusing to load global ${module}.${name} from ${this.options.file}: only tensor data is allowed (nothing was executed)`,
    );
  }

  private call(callable: unknown, args: unknown[]): unknown {
    if (callable instanceof PickleCallable) {
      try {
        return callable.call(args);
      } catch (error) {
        return this.fail(`${callable.qualifiedName}: ${(error as Error).message}`);
      }
    }
    if (callable instanceof PickleMarker) this.fail(`${callable.qualifiedName} cannot be called`);
    return this.fail('REDUCE/NEWOBJ on something that is not an allowed callable');
  }

  private build(): void {
    const state = this.pop();
    const target = this.top();
    // OrderedDict state (torch's `_metadata` version info) carries nothing we need.
    if (target instanceof Map) return;
    if (!(target instanceof PickleObject))
      this.fail('BUILD (object state) on an object that does not accept state');
    try {
      target.setState(state);
    } catch (error) {
      this.fail(`BUILD: ${(error as Error).message}`);
    }
  }

  private asString(value: unknown): string {
    if (typeof value !== 'string') this.fail('STACK_GLOBAL needs two strings');
    return value;
  }

  private asArgs(value: unknown): unknown[] {
    if (!Array.isArray(value)) this.fail('call arguments are not a tuple');
    return value;
  }

  private appendTo(...items: unknown[]): void {
    const list = this.top();
    if (!Array.isArray(list)) this.fail('APPEND to something that is not a list');
    list.push(...items);
  }

  private setItems(target: unknown, items: unknown[]): Map<unknown, unknown> {
    if (!(target instanceof Map)) this.fail('SETITEM on something that is not a dict');
    if (items.length % 2 !== 0) this.fail('odd number of items for a dict');
    for (let i = 0; i < items.length; i += 2) target.set(items[i], items[i + 1]);
    return target;
  }

  private addItems(target: unknown, items: unknown[]): void {
    if (!(target instanceof Set)) this.fail('ADDITEMS on something that is not a set');
    for (const item of items) target.add(item);
  }

  private memoGet(index: number): unknown {
    if (!this.memo.has(index)) this.fail(`memo entry ${index} is missing`);
    return this.memo.get(index);
  }

  private push(value: unknown): void {
    this.stack.push(value);
  }

  private pop(): unknown {
    if (this.stack.length === 0 || this.stack.length <= (this.marks.at(-1) ?? -1))
      this.fail('stack underflow');
    return this.stack.pop();
  }

  private top(): unknown {
    return this.topBelow(0);
  }

  /** The value `depth` entries below the top (0 = top). */
  private topBelow(depth: number): unknown {
    const index = this.stack.length - 1 - depth;
    if (index < (this.marks.at(-1) ?? 0)) this.fail('stack underflow');
    return this.stack[index];
  }

  private popN(count: number): unknown[] {
    const start = this.stack.length - count;
    if (start < (this.marks.at(-1) ?? 0)) this.fail('stack underflow');
    return this.stack.splice(start, count);
  }

  private popMark(): unknown[] {
    const mark = this.marks.pop();
    if (mark === undefined) this.fail('MARK expected but none is open');
    return this.stack.splice(mark);
  }

  private advance(count: number): number {
    const start = this.position;
    if (start + count > this.bytes.byteLength)
      this.fail(`truncated: needs ${count} more bytes at byte ${start}`);
    this.position += count;
    return start;
  }

  private take(count: number): Uint8Array {
    const start = this.advance(count);
    return this.bytes.subarray(start, start + count);
  }

  private u8(): number {
    return this.bytes[this.advance(1)]!;
  }

  private length32(): number {
    return this.view.getUint32(this.advance(4), true);
  }

  private length64(): number {
    const length = this.view.getBigUint64(this.advance(8), true);
    if (length > BigInt(this.bytes.byteLength)) this.fail(`length ${length} exceeds the pickle`);
    return Number(length);
  }

  private utf8(length: number): string {
    return new TextDecoder('utf-8', { fatal: true }).decode(this.take(length));
  }

  private latin1(length: number): string {
    return new TextDecoder('latin1').decode(this.take(length));
  }

  private line(): string {
    const end = this.bytes.indexOf(0x0a, this.position);
    if (end < 0) this.fail('truncated: unterminated line');
    const text = this.latin1(end - this.position);
    this.position = end + 1;
    return text;
  }
}

/** Little-endian two's complement; exact integers stay numbers, larger ones become bigint. */
function decodeLong(bytes: Uint8Array): number | bigint {
  if (bytes.length === 0) return 0;
  let value = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i]!);
  if (bytes[bytes.length - 1]! & 0x80) value -= 1n << BigInt(bytes.length * 8);
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(value)
    : value;
}

export function unpickle(bytes: Uint8Array, options: UnpickleOptions): unknown {
  return new Unpickler(bytes, options).run();
}
