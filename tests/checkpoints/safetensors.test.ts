import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CheckpointError,
  DTYPE_SIZES,
  loadStateDict,
  openSafetensors,
  writeSafetensors,
  type DType,
} from '../../main/checkpoints';
import { bytesOf, rawSafetensors } from './builders';
import { FIXTURES, scratch } from './paths';

let work: Awaited<ReturnType<typeof scratch>>;
beforeAll(async () => {
  work = await scratch();
});
afterAll(() => work.cleanup());

async function fixtureSafetensors(): Promise<string[]> {
  const entries = await readdir(FIXTURES, { recursive: true });
  return entries.filter((name) => name.endsWith('.safetensors')).map((name) => join(FIXTURES, name));
}

describe('safetensors reader on the shared fixtures', () => {
  it('opens every fixture and reads every tensor with the declared byte length', async () => {
    const files = await fixtureSafetensors();
    expect(files.length).toBeGreaterThanOrEqual(8);
    for (const path of files) {
      const file = await openSafetensors(path);
      try {
        let total = 0;
        for (const name of file.names()) {
          const { byteLength, dtype, shape } = file.info(name);
          const bytes = await file.read(name);
          expect(bytes.byteLength).toBe(byteLength);
          expect(byteLength).toBe(shape.reduce((a, b) => a * b, 1) * DTYPE_SIZES[dtype]);
          total += byteLength;
        }
        // The fixtures are packed without holes: the tensors account for the whole data section.
        const headerLength = (await headerLengthOf(path)) + 8;
        expect(total, path).toBe((await stat(path)).size - headerLength);
      } finally {
        await file.close();
      }
    }
  });

  it('reports the dtypes and shapes the fixture README describes', async () => {
    const hps = await openSafetensors(join(FIXTURES, 'clip/hps_v2_tiny.safetensors'));
    expect(hps.info('positional_embedding')).toMatchObject({ dtype: 'F16', shape: [77, 128] });
    expect(hps.info('token_embedding.weight')).toMatchObject({ dtype: 'F16', shape: [49408, 128] });
    expect(new Set(hps.names().map((name) => hps.info(name).dtype))).toEqual(new Set(['F16']));
    await hps.close();
    const lora = await openSafetensors(join(FIXTURES, 'sd/lora-tiny-kohya.safetensors'));
    const alphas = lora.names().filter((name) => name.endsWith('.alpha'));
    expect(alphas.length).toBeGreaterThan(0);
    const alpha = new Float32Array((await lora.read(alphas[0]!)).buffer);
    expect(lora.info(alphas[0]!).shape).toEqual([]);
    expect([...alpha]).toEqual([2]);
    await lora.close();
  });
});

async function headerLengthOf(path: string): Promise<number> {
  const handle = await open(path, 'r');
  const head = new Uint8Array(8);
  await handle.read(head, 0, 8, 0);
  await handle.close();
  return Number(new DataView(head.buffer).getBigUint64(0, true));
}

describe('safetensors writer', () => {
  it('round-trips every dtype, metadata and lazily supplied data', async () => {
    const tensors = {
      f64: { dtype: 'F64' as DType, shape: [2], data: Float64Array.from([Math.PI, -1e300]) },
      f32: { dtype: 'F32' as DType, shape: [2, 2], data: Float32Array.from([1, 2, 3, 4]) },
      f16: { dtype: 'F16' as DType, shape: [3], data: Uint16Array.from([0x3c00, 0xc000, 0x7bff]) },
      bf16: { dtype: 'BF16' as DType, shape: [1], data: Uint16Array.from([0x3f80]) },
      i64: { dtype: 'I64' as DType, shape: [2], data: BigInt64Array.from([-(2n ** 62n), 5n]) },
      i32: { dtype: 'I32' as DType, shape: [1], data: Int32Array.from([-7]) },
      i16: { dtype: 'I16' as DType, shape: [1], data: Int16Array.from([-300]) },
      i8: { dtype: 'I8' as DType, shape: [3], data: Int8Array.from([-1, 0, 1]) },
      u8: { dtype: 'U8' as DType, shape: [1, 3], data: Uint8Array.from([0, 128, 255]) },
      bool: { dtype: 'BOOL' as DType, shape: [2], data: Uint8Array.from([1, 0]) },
      empty: { dtype: 'F32' as DType, shape: [0, 4], data: new Float32Array(0) },
      streamed: { dtype: 'F32' as DType, shape: [1], read: async () => bytesOf(Float32Array.from([42])) },
    };
    const metadata = { format: 'pt', ss_network_dim: '4' };
    const path = join(work.dir, 'all-dtypes.safetensors');
    await writeSafetensors(path, tensors, metadata);

    const file = await openSafetensors(path);
    expect(file.metadata).toEqual(metadata);
    expect(file.names().sort()).toEqual(Object.keys(tensors).sort());
    for (const [name, source] of Object.entries(tensors)) {
      expect(file.info(name)).toMatchObject({ dtype: source.dtype, shape: source.shape });
      const expected = 'data' in source ? bytesOf(source.data) : await source.read();
      expect(Buffer.from(await file.read(name)).equals(Buffer.from(expected)), name).toBe(true);
    }
    // Header padded to 8 bytes and tensors ordered by element size, so every tensor is aligned in the file.
    const headerLength = await headerLengthOf(path);
    expect(headerLength % 8).toBe(0);
    for (const name of file.names()) {
      const { dataOffsets, dtype } = file.info(name);
      expect((8 + headerLength + dataOffsets[0]) % DTYPE_SIZES[dtype], name).toBe(0);
    }
    await file.close();
  });

  it('converts hps_v2_tiny.pt to safetensors with tensors identical to the reference hps_v2_tiny.safetensors', async () => {
    const converted = join(work.dir, 'converted.safetensors');
    const source = await loadStateDict(join(FIXTURES, 'clip/hps_v2_tiny.pt'));
    await writeSafetensors(converted, source.tensors, { format: 'pt' });
    await source.close();
    const ours = await openSafetensors(converted);
    const reference = await openSafetensors(join(FIXTURES, 'clip/hps_v2_tiny.safetensors'));
    expect(ours.names().sort()).toEqual(reference.names().sort());
    for (const name of reference.names()) {
      expect(ours.info(name)).toMatchObject({
        dtype: reference.info(name).dtype,
        shape: reference.info(name).shape,
      });
      expect(Buffer.from(await ours.read(name)).equals(Buffer.from(await reference.read(name))), name).toBe(
        true,
      );
    }
    expect(ours.metadata).toEqual({ format: 'pt' });
    await Promise.all([ours.close(), reference.close()]);
  });

  it('refuses data whose length does not match the shape, leaving no file behind', async () => {
    const path = join(work.dir, 'bad.safetensors');
    await expect(
      writeSafetensors(path, { x: { dtype: 'F32', shape: [3], data: new Float32Array(2) } }),
    ).rejects.toThrow(/tensor "x".*needs 12 bytes, data has 8/);
    await expect(stat(path)).rejects.toThrow(/ENOENT/);
    expect((await readdir(work.dir)).filter((name) => name.includes('bad.safetensors'))).toEqual([]);
  });
});

describe('safetensors reader refuses damaged and hostile files', () => {
  const f32 = (name: string, begin: number, end: number, shape = [(end - begin) / 4]) => ({
    [name]: { dtype: 'F32', shape, data_offsets: [begin, end] },
  });

  async function expectRefused(
    bytes: Uint8Array,
    pattern: RegExp,
    name = 'damaged.safetensors',
  ): Promise<CheckpointError> {
    const path = await work.file(name, bytes);
    const error = await openSafetensors(path).then(
      async (file) => {
        await file.close();
        throw new Error('expected the file to be refused');
      },
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(CheckpointError);
    expect((error as Error).message).toContain(path);
    expect((error as Error).message).toMatch(pattern);
    return error as CheckpointError;
  }

  it('a file shorter than the length prefix', async () => {
    await expectRefused(new Uint8Array(5), /too short/);
  });

  it('a header cut short', async () => {
    const whole = rawSafetensors(f32('w', 0, 8), new Uint8Array(8));
    await expectRefused(whole.subarray(0, 20), /header length \d+ runs past the end of the file/);
  });

  it('data cut short', async () => {
    const whole = rawSafetensors({ ...f32('a', 0, 8), ...f32('b', 8, 16) }, new Uint8Array(16));
    const error = await expectRefused(
      whole.subarray(0, whole.length - 4),
      /exceed the data section \(12 bytes\)/,
    );
    expect(error.tensor).toBe('b');
  });

  it('a huge header length', async () => {
    await expectRefused(
      rawSafetensors(f32('w', 0, 4), new Uint8Array(4), 2n ** 40n),
      /exceeds the 100000000-byte limit/,
    );
  });

  it('a header that is not JSON, or not an object', async () => {
    await expectRefused(rawSafetensors('{"w": {"dtype": "F32",', new Uint8Array(0)), /not valid UTF-8 JSON/);
    await expectRefused(rawSafetensors('[1, 2]'), /not a JSON object/);
  });

  it('overlapping tensors', async () => {
    const error = await expectRefused(
      rawSafetensors({ ...f32('a', 0, 8), ...f32('b', 4, 12) }, new Uint8Array(12)),
      /overlaps tensor "a"/,
    );
    expect(error.message).toContain('"b"');
  });

  it('offsets out of bounds or backwards', async () => {
    await expectRefused(
      rawSafetensors(f32('w', 0, 400), new Uint8Array(8)),
      /tensor "w".*exceed the data section/,
    );
    await expectRefused(
      rawSafetensors({ w: { dtype: 'F32', shape: [1], data_offsets: [8, 4] } }, new Uint8Array(8)),
      /run backwards/,
    );
    await expectRefused(
      rawSafetensors({ w: { dtype: 'F32', shape: [1], data_offsets: [-4, 0] } }, new Uint8Array(8)),
      /non-negative/,
    );
  });

  it('a shape that does not match the byte length', async () => {
    await expectRefused(
      rawSafetensors(f32('w', 0, 8, [3]), new Uint8Array(8)),
      /tensor "w".*needs 12 bytes but data_offsets span 8/,
    );
  });

  it('unknown dtypes, bad shapes and non-string metadata', async () => {
    await expectRefused(
      rawSafetensors({ w: { dtype: 'F128', shape: [1], data_offsets: [0, 16] } }, new Uint8Array(16)),
      /unknown dtype "F128"/,
    );
    await expectRefused(
      rawSafetensors({ w: { dtype: 'F32', shape: [1.5], data_offsets: [0, 4] } }, new Uint8Array(4)),
      /shape/,
    );
    await expectRefused(
      rawSafetensors({ __metadata__: { epochs: 3 } }),
      /__metadata__ value for "epochs" is not a string/,
    );
  });

  it('names the missing tensor when asked for one that is not there', async () => {
    const path = await work.file('one.safetensors', rawSafetensors(f32('w', 0, 4), new Uint8Array(4)));
    const file = await openSafetensors(path);
    expect(() => file.info('nope')).toThrow(/tensor "nope": no such tensor/);
    await file.close();
  });
});
