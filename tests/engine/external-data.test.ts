import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { writeExternalDataModel, type StreamedTensor } from '../../main/engine/onnx/external-data';
import type { ModelProto, NodeProto, TensorProto } from '../../main/engine/onnx/proto';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'hps-extdata-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function int64Tensor(name: string, values: number[]): TensorProto {
  return {
    name,
    dataType: 'int64',
    dims: [values.length],
    rawData: new Uint8Array(BigInt64Array.from(values.map(BigInt)).buffer),
  };
}

/** out_a = Gather(a, idx); out_b = Gather(b, idx); tail = ReduceSum(b[len-1000:]) — reads a few elements only. */
function probeModel(lengthB: number, inline: TensorProto[] = []): ModelProto {
  const nodes: NodeProto[] = [
    { opType: 'Gather', inputs: ['a', 'idx'], outputs: ['out_a'] },
    { opType: 'Gather', inputs: ['b', 'idx'], outputs: ['out_b'] },
    { opType: 'Slice', inputs: ['b', 'tail_start', 'tail_end'], outputs: ['b_tail'] },
    {
      opType: 'ReduceSum',
      inputs: ['b_tail'],
      outputs: ['tail'],
      attributes: { keepdims: { type: 'int', value: 0 } },
    },
  ];
  return {
    irVersion: 8,
    opsets: [{ domain: '', version: 18 }],
    producerName: 'test',
    producerVersion: '0',
    graph: {
      name: 'probe',
      nodes,
      inputs: [{ name: 'idx', dataType: 'int64', shape: ['k'] }],
      outputs: [
        { name: 'out_a', dataType: 'float', shape: ['k'] },
        { name: 'out_b', dataType: 'float', shape: ['k'] },
        { name: 'tail', dataType: 'float', shape: [] },
      ],
      initializers: [
        int64Tensor('tail_start', [lengthB - 1000]),
        int64Tensor('tail_end', [lengthB]),
        ...inline,
      ],
    },
  };
}

async function runProbe(modelPath: string, idx: number[]) {
  const session = await ort.InferenceSession.create(modelPath, { executionProviders: ['cpu'] });
  try {
    const out = await session.run({
      idx: new ort.Tensor('int64', BigInt64Array.from(idx.map(BigInt)), [idx.length]),
    });
    return {
      a: Array.from(out.out_a!.data as Float32Array),
      b: Array.from(out.out_b!.data as Float32Array),
      tail: (out.tail!.data as Float32Array)[0]!,
    };
  } finally {
    await session.release();
  }
}

const aValue = (i: number) => (i % 4096) - 2048;
const bValue = (i: number) => (i % 1000) * 0.25;
/** Any 1000 consecutive b values cover every residue once: 0.25 · (0 + … + 999). */
const TAIL_SUM = 0.25 * 499_500;

/** Produces elements [0, length) of f(i) as float32 chunks, reusing one buffer (the writer consumes each chunk before asking for the next). */
function generated(
  length: number,
  f: (i: number) => number,
  chunkElements = 1 << 22,
): () => AsyncIterable<Uint8Array> {
  return async function* () {
    const buffer = new Float32Array(chunkElements);
    for (let start = 0; start < length; start += chunkElements) {
      const n = Math.min(chunkElements, length - start);
      for (let j = 0; j < n; j++) buffer[j] = f(start + j);
      yield new Uint8Array(buffer.buffer, 0, n * 4);
    }
  };
}

describe('writeExternalDataModel', () => {
  it('writes aligned tensors from arrays, chunk producers and large inline initializers; ORT reads them back', async () => {
    const length = 5000;
    const bigInline: TensorProto = {
      name: 'b',
      dataType: 'float',
      dims: [length],
      rawData: new Uint8Array(Float32Array.from({ length }, (_, i) => bValue(i)).buffer),
    };
    const a: StreamedTensor = {
      name: 'a',
      dataType: 'float',
      dims: [length],
      bytes: generated(length, aValue, 777),
    };
    const written = await writeExternalDataModel({
      dir,
      model: probeModel(length, [bigInline]),
      tensors: [a],
      modelFileName: 'small.onnx',
      alignment: 64,
    });

    expect(written.tensors.map((t) => t.name)).toEqual(['b', 'a']);
    for (const t of written.tensors) {
      expect(t.offset % 64).toBe(0);
      expect(t.length).toBe(length * 4);
    }
    expect((await stat(written.dataPath)).size).toBe(written.dataBytes);
    // The model file keeps the 2 small int64 initializers inline and only references the large ones.
    expect((await stat(written.modelPath)).size).toBeLessThan(2000);
    const data = await readFile(written.dataPath);
    const aOffset = written.tensors[1]!.offset;
    expect(
      new Float32Array(
        data.buffer.slice(data.byteOffset + aOffset + 4 * 4097, data.byteOffset + aOffset + 4 * 4098),
      )[0],
    ).toBe(aValue(4097));

    const got = await runProbe(written.modelPath, [0, 1, 4097, length - 1]);
    expect(got.a).toEqual([0, 1, 4097, length - 1].map(aValue));
    expect(got.b).toEqual([0, 1, 4097, length - 1].map(bValue));
    expect(got.tail).toBe(TAIL_SUM);
  });

  it('refuses a source whose byte count disagrees with its dims, leaving no files', async () => {
    const bad: StreamedTensor = { name: 'a', dataType: 'float', dims: [10], bytes: new Float32Array(9) };
    await expect(
      writeExternalDataModel({ dir, model: probeModel(2000), tensors: [bad], modelFileName: 'bad.onnx' }),
    ).rejects.toThrow(/36 bytes.*declare 40/);
    expect((await readdir(dir)).filter((f) => f.startsWith('bad.onnx'))).toEqual([]);
  });

  it('lets two writers of the same model in one folder both finish, leaving one complete model', async () => {
    const length = 3000;
    const write = () =>
      writeExternalDataModel({
        dir,
        model: probeModel(length),
        tensors: [
          { name: 'a', dataType: 'float', dims: [length], bytes: generated(length, aValue, 333) },
          { name: 'b', dataType: 'float', dims: [length], bytes: generated(length, bValue, 333) },
        ],
        modelFileName: 'twice.onnx',
      });
    const [first, second] = await Promise.all([write(), write()]);
    expect(first.modelPath).toBe(second.modelPath);
    expect((await readdir(dir)).filter((f) => f.startsWith('twice.onnx')).sort()).toEqual([
      'twice.onnx',
      'twice.onnx.data',
    ]);
    const got = await runProbe(first.modelPath, [0, length - 1]);
    expect(got.a).toEqual([0, length - 1].map(aValue));
    expect(got.tail).toBe(TAIL_SUM);
  });

  it('rejects a non power-of-two alignment and duplicate names', async () => {
    await expect(writeExternalDataModel({ dir, model: probeModel(2000), alignment: 100 })).rejects.toThrow(
      /power of two/,
    );
    const dup: StreamedTensor = {
      name: 'tail_end',
      dataType: 'int64',
      dims: [1],
      bytes: new BigInt64Array(1),
    };
    await expect(writeExternalDataModel({ dir, model: probeModel(2000), tensors: [dup] })).rejects.toThrow(
      /two initializers/,
    );
  });

  it('streams a > 2 GB initializer set to disk without holding it in memory, and ORT loads it from the path', async () => {
    const length = 275_000_000; // 1.1 GB of float32 each, 2.2 GB together: past protobuf's 2 GB limit
    let peakRss = 0;
    const sampled = (f: (i: number) => number) => {
      const produce = generated(length, f);
      return async function* () {
        for await (const chunk of produce()) {
          peakRss = Math.max(peakRss, process.memoryUsage().rss);
          yield chunk;
        }
      };
    };
    const before = process.memoryUsage().rss;
    const written = await writeExternalDataModel({
      dir,
      model: probeModel(length),
      tensors: [
        { name: 'a', dataType: 'float', dims: [length], bytes: sampled(aValue) },
        { name: 'b', dataType: 'float', dims: [length], bytes: sampled(bValue) },
      ],
      modelFileName: 'large.onnx',
    });
    const growthMb = (peakRss - before) / 2 ** 20;
    console.log(
      `external data: wrote ${(written.dataBytes / 2 ** 30).toFixed(2)} GiB, writer RSS growth ${growthMb.toFixed(0)} MiB`,
    );
    expect(written.dataBytes).toBeGreaterThan(2 ** 31);
    expect(written.tensors[1]!.offset % 4096).toBe(0);
    expect(growthMb).toBeLessThan(256);

    const idx = [0, 12_345, 2 ** 27 + 3, length - 1];
    const got = await runProbe(written.modelPath, idx);
    expect(got.a).toEqual(idx.map(aValue));
    expect(got.b).toEqual(idx.map(bValue));
    expect(got.tail).toBe(TAIL_SUM);
  });
});
