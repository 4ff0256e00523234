import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CheckpointError,
  loadStateDict,
  openSafetensors,
  openTorchCheckpoint,
  viewAs,
  type StateDict,
} from '../../main/checkpoints';
import {
  PickleWriter,
  bytesOf,
  stateDictPickle,
  storedZip,
  torchArchive,
  writeTensor,
  type TensorSpec,
} from './builders';
import { FIXTURES, scratch } from './paths';

let work: Awaited<ReturnType<typeof scratch>>;
beforeAll(async () => {
  work = await scratch();
});
afterAll(() => work.cleanup());

async function withStateDict<T>(path: string, use: (stateDict: StateDict) => Promise<T>): Promise<T> {
  const stateDict = await loadStateDict(path);
  try {
    return await use(stateDict);
  } finally {
    await stateDict.close();
  }
}

async function readAll(stateDict: StateDict): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  for (const [name, tensor] of stateDict.tensors) out.set(name, await tensor.read());
  return out;
}

describe('PyTorch zip checkpoints from the shared fixtures', () => {
  it('hps_v2_tiny.pt and hps_v2_tiny.safetensors hold identical tensors, bit for bit', async () => {
    const fromTorch = await withStateDict(join(FIXTURES, 'clip/hps_v2_tiny.pt'), async (sd) => ({
      sd,
      bytes: await readAll(sd),
    }));
    const fromSafetensors = await withStateDict(
      join(FIXTURES, 'clip/hps_v2_tiny.safetensors'),
      async (sd) => ({ sd, bytes: await readAll(sd) }),
    );
    expect(fromTorch.sd.format).toBe('torch-zip');
    expect(fromSafetensors.sd.format).toBe('safetensors');
    expect([...fromTorch.bytes.keys()].sort()).toEqual([...fromSafetensors.bytes.keys()].sort());
    expect(fromTorch.bytes.size).toBe(62);
    for (const [name, bytes] of fromTorch.bytes) {
      const torchTensor = fromTorch.sd.tensors.get(name)!;
      const safeTensor = fromSafetensors.sd.tensors.get(name)!;
      expect({ dtype: torchTensor.dtype, shape: torchTensor.shape }, name).toEqual({
        dtype: safeTensor.dtype,
        shape: safeTensor.shape,
      });
      expect(Buffer.from(bytes).equals(Buffer.from(fromSafetensors.bytes.get(name)!)), name).toBe(true);
    }
  });

  it('hps_v1_tiny.pt: OpenAI CLIP key names under state_dict, fp16, shapes from the README', async () => {
    await withStateDict(join(FIXTURES, 'clip/hps_v1_tiny.pt'), async ({ tensors }) => {
      for (const name of [
        'positional_embedding',
        'text_projection',
        'logit_scale',
        'token_embedding.weight',
        'ln_final.weight',
        'visual.proj',
        'visual.conv1.weight',
        'transformer.resblocks.1.attn.in_proj_weight',
      ]) {
        expect(tensors.has(name), name).toBe(true);
      }
      expect(new Set([...tensors.values()].map((tensor) => tensor.dtype))).toEqual(new Set(['F16']));
      expect(tensors.get('token_embedding.weight')!.shape).toEqual([49408, 128]);
      expect(tensors.get('visual.conv1.weight')!.shape).toEqual([128, 3, 14, 14]);
      expect(tensors.get('text_projection')!.shape).toEqual([128, 64]);
      expect(tensors.get('logit_scale')!.shape).toEqual([]);
      expect((await tensors.get('logit_scale')!.read()).byteLength).toBe(2);
    });
  });

  it('aesthetic_tiny.pth: the LAION MLP keys at input width 64, fp32, top-level dict', async () => {
    await withStateDict(join(FIXTURES, 'clip/aesthetic_tiny.pth'), async ({ tensors }) => {
      const shapes = Object.fromEntries(
        [...tensors].map(([name, tensor]) => [name, [tensor.dtype, ...tensor.shape]]),
      );
      expect(shapes).toEqual({
        'layers.0.weight': ['F32', 1024, 64],
        'layers.0.bias': ['F32', 1024],
        'layers.2.weight': ['F32', 128, 1024],
        'layers.2.bias': ['F32', 128],
        'layers.4.weight': ['F32', 64, 128],
        'layers.4.bias': ['F32', 64],
        'layers.6.weight': ['F32', 16, 64],
        'layers.6.bias': ['F32', 16],
        'layers.7.weight': ['F32', 1, 16],
        'layers.7.bias': ['F32', 1],
      });
      const weights = viewAs('F32', await tensors.get('layers.0.weight')!.read());
      expect(weights.every(Number.isFinite)).toBe(true);
      expect(weights.some((value) => value !== 0)).toBe(true);
    });
  });

  it('every .pt/.pth/.safetensors fixture loads through loadStateDict', async () => {
    const files = [
      'clip/hps_v1_tiny.pt',
      'clip/hps_v2_tiny.pt',
      'clip/aesthetic_tiny.pth',
      'clip/v1_train_grads.safetensors',
      'sd/train_grads.safetensors',
      'sd/sd-tiny-single-file.safetensors',
      'sd/sd-tiny/unet/diffusion_pytorch_model.safetensors',
    ];
    for (const file of files) {
      await withStateDict(join(FIXTURES, file), async (stateDict) => {
        expect(stateDict.tensors.size, file).toBeGreaterThan(0);
        const [, first] = [...stateDict.tensors][0]!;
        expect((await first.read()).byteLength).toBe(first.byteLength);
      });
    }
  });
});

describe('hand-built torch archives', () => {
  const floats = (values: number[]) => bytesOf(Float32Array.from(values));

  it('copies strided views, storage offsets and shared storages into row-major order', async () => {
    const specs: TensorSpec[] = [
      { name: 'transposed', storage: 'FloatStorage', key: '0', numel: 12, shape: [3, 2], stride: [1, 3] },
      { name: 'offset', storage: 'FloatStorage', key: '0', numel: 12, offset: 6, shape: [2, 2] },
      {
        name: 'every_other',
        storage: 'FloatStorage',
        key: '0',
        numel: 12,
        offset: 1,
        shape: [3],
        stride: [2],
      },
      {
        name: 'broadcast',
        storage: 'FloatStorage',
        key: '0',
        numel: 12,
        offset: 11,
        shape: [2, 3],
        stride: [0, 0],
      },
      { name: 'scalar', storage: 'FloatStorage', key: '1', numel: 1, shape: [], stride: [] },
    ];
    const path = await work.file(
      'views.pt',
      torchArchive(stateDictPickle(specs), {
        0: floats([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]),
        1: floats([4.6052]),
      }),
    );
    await withStateDict(path, async ({ tensors }) => {
      const values = async (name: string) => [...viewAs('F32', await tensors.get(name)!.read())];
      expect(await values('transposed')).toEqual([0, 3, 1, 4, 2, 5]);
      expect(await values('offset')).toEqual([6, 7, 8, 9]);
      expect(await values('every_other')).toEqual([1, 3, 5]);
      expect(await values('broadcast')).toEqual([11, 11, 11, 11, 11, 11]);
      expect(await values('scalar')).toEqual([Math.fround(4.6052)]);
    });
  });

  it('maps every torch storage class to its dtype', async () => {
    const storages: [string, string, Uint8Array][] = [
      ['DoubleStorage', 'F64', bytesOf(Float64Array.from([1.5]))],
      ['FloatStorage', 'F32', bytesOf(Float32Array.from([1.5]))],
      ['HalfStorage', 'F16', bytesOf(Uint16Array.from([0x3e00]))],
      ['BFloat16Storage', 'BF16', bytesOf(Uint16Array.from([0x3fc0]))],
      ['LongStorage', 'I64', bytesOf(BigInt64Array.from([-(2n ** 40n)]))],
      ['IntStorage', 'I32', bytesOf(Int32Array.from([-5]))],
      ['ShortStorage', 'I16', bytesOf(Int16Array.from([-6]))],
      ['CharStorage', 'I8', bytesOf(Int8Array.from([-7]))],
      ['ByteStorage', 'U8', Uint8Array.from([200])],
      ['BoolStorage', 'BOOL', Uint8Array.from([1])],
      ['UInt16Storage', 'U16', bytesOf(Uint16Array.from([65000]))],
      ['Float8_e4m3fnStorage', 'F8_E4M3', Uint8Array.from([0x38])],
    ];
    const specs = storages.map(([storage], i) => ({
      name: storage,
      storage,
      key: String(i),
      numel: 1,
      shape: [1],
    }));
    const data = Object.fromEntries(storages.map(([, , bytes], i) => [String(i), bytes]));
    const path = await work.file('dtypes.pt', torchArchive(stateDictPickle(specs, false), data));
    await withStateDict(path, async ({ tensors }) => {
      for (const [storage, dtype, bytes] of storages) {
        expect(tensors.get(storage)!.dtype, storage).toBe(dtype);
        expect([...(await tensors.get(storage)!.read())], storage).toEqual([...bytes]);
      }
    });
  });

  it('reads ZIP64 archives (torch writes them for checkpoints over 4 GB)', async () => {
    const specs: TensorSpec[] = [{ name: 'w', storage: 'FloatStorage', key: '0', numel: 3, shape: [3] }];
    const path = await work.file(
      'zip64.pt',
      torchArchive(stateDictPickle(specs), { 0: floats([1, 2, 3]) }, 'big', true),
    );
    await withStateDict(path, async ({ tensors }) => {
      expect([...viewAs('F32', await tensors.get('w')!.read())]).toEqual([1, 2, 3]);
    });
  });

  it('swaps bytes of big-endian archives', async () => {
    const spec = { name: 'w', storage: 'IntStorage', key: '0', numel: 2, shape: [2] };
    const archive = storedZip([
      { name: 'be/data.pkl', data: stateDictPickle([spec]) },
      { name: 'be/data/0', data: Uint8Array.from([0, 0, 1, 2, 0xff, 0xff, 0xff, 0xfe]) },
      { name: 'be/byteorder', data: new TextEncoder().encode('big') },
    ]);
    const path = await work.file('big-endian.pt', archive);
    await withStateDict(path, async ({ tensors }) => {
      expect([...viewAs('I32', await tensors.get('w')!.read())]).toEqual([0x0102, -2]);
    });
  });

  it('reads protocol 4 framing, STACK_GLOBAL, MEMOIZE and LONG1 element counts', async () => {
    const pickle = new PickleWriter().proto(4).frame(0).emptyDict().memoize().shortStr('w').memoize();
    pickle.shortStr('torch._utils').shortStr('_rebuild_tensor_v2').stackGlobal().memoize().mark();
    pickle
      .mark()
      .shortStr('storage')
      .shortStr('torch')
      .shortStr('FloatStorage')
      .stackGlobal()
      .shortStr('0')
      .shortStr('cpu')
      .long(3n)
      .tuple()
      .persistentId();
    pickle
      .int(0)
      .ints([3])
      .ints([1])
      .newFalse()
      .shortStr('collections')
      .shortStr('OrderedDict')
      .stackGlobal()
      .emptyTuple()
      .reduce();
    const bytes = pickle.tuple().reduce().setItem().stop();
    const path = await work.file('protocol4.pt', torchArchive(bytes, { 0: floats([1, 2, 3]) }));
    await withStateDict(path, async ({ tensors }) => {
      expect([...viewAs('F32', await tensors.get('w')!.read())]).toEqual([1, 2, 3]);
    });
  });

  it('exposes the whole object tree, with non-tensor entries, through openTorchCheckpoint', async () => {
    const pickle = new PickleWriter()
      .proto(2)
      .emptyDict()
      .mark()
      .str('epoch')
      .int(7)
      .str('name')
      .str('run-1');
    pickle.str('history').emptyList().mark().int(1).int(2).appends();
    const bytes = pickle.setItems().stop();
    const checkpoint = await openTorchCheckpoint(await work.file('tree.pt', torchArchive(bytes)));
    expect(checkpoint.root).toEqual(
      new Map<string, unknown>([
        ['epoch', 7],
        ['name', 'run-1'],
        ['history', [1, 2]],
      ]),
    );
    await checkpoint.close();
    await expect(loadStateDict(checkpoint.path)).rejects.toThrow(/no tensors found/);
  });

  it('decodes the numpy scalars training scripts leave next to the state dict (as in hpc.pt)', async () => {
    const latin1 = (bytes: Uint8Array) => String.fromCharCode(...bytes);
    const scalar = (pickle: PickleWriter, code: string, bytes: Uint8Array) => {
      pickle.global('numpy.core.multiarray', 'scalar').mark();
      pickle.global('numpy', 'dtype').mark().str(code).newFalse().raw(0x88).tuple().reduce();
      pickle.mark().int(3).str('<').none().none().none().int(-1).int(-1).int(0).tuple().build();
      pickle.global('_codecs', 'encode').mark().str(latin1(bytes)).str('latin1').tuple().reduce();
      return pickle.tuple().reduce();
    };
    const pickle = new PickleWriter().proto(2).emptyDict().mark().str('best_acc');
    scalar(pickle, 'f8', bytesOf(Float64Array.from([0.776])));
    pickle.str('step');
    scalar(pickle, 'i8', bytesOf(BigInt64Array.from([12345n])));
    pickle.str('state_dict').global('collections', 'OrderedDict').emptyTuple().reduce().mark().str('w');
    writeTensor(pickle, { name: 'w', storage: 'FloatStorage', key: '0', numel: 1, shape: [1] });
    const bytes = pickle.setItems().setItems().stop();
    const path = await work.file('with-numpy.pt', torchArchive(bytes, { 0: floats([2.5]) }));
    const checkpoint = await openTorchCheckpoint(path);
    const root = checkpoint.root as Map<string, unknown>;
    expect(root.get('best_acc')).toBe(0.776);
    expect(root.get('step')).toBe(12345);
    await checkpoint.close();
    await withStateDict(path, async ({ tensors }) => {
      expect([...tensors.keys()]).toEqual(['w']);
      expect([...viewAs('F32', await tensors.get('w')!.read())]).toEqual([2.5]);
    });
  });

  it('walks a dict that contains itself only once', async () => {
    const pickle = new PickleWriter().proto(2).emptyDict().put(0).mark().str('self').get(0).str('w');
    writeTensor(pickle, { name: 'w', storage: 'FloatStorage', key: '0', numel: 1, shape: [1] });
    const path = await work.file('cycle.pt', torchArchive(pickle.setItems().stop(), { 0: floats([5]) }));
    await withStateDict(path, async ({ tensors }) => expect([...tensors.keys()]).toEqual(['w']));
  });

  it('refuses views that reach outside their storage, and missing storage entries', async () => {
    const outside = { name: 'w', storage: 'FloatStorage', key: '0', numel: 4, offset: 2, shape: [4] };
    const path = await work.file(
      'outside.pt',
      torchArchive(stateDictPickle([outside]), { 0: floats([1, 2, 3, 4]) }),
    );
    await withStateDict(path, async ({ tensors }) => {
      await expect(tensors.get('w')!.read()).rejects.toThrow(/outside its storage of 4 elements/);
    });
    const missing = await work.file('missing.pt', torchArchive(stateDictPickle([{ ...outside, offset: 0 }])));
    await withStateDict(missing, async ({ tensors }) => {
      await expect(tensors.get('w')!.read()).rejects.toThrow(/zip entry archive\/data\/0 is missing/);
    });
    const short = await work.file(
      'short.pt',
      torchArchive(stateDictPickle([{ ...outside, offset: 0 }]), { 0: floats([1, 2]) }),
    );
    await withStateDict(short, async ({ tensors }) => {
      await expect(tensors.get('w')!.read()).rejects.toThrow(/has 8 bytes, needs 16/);
    });
  });
});

describe('the restricted unpickler refuses code', () => {
  const marker = () => join(work.dir, `pwned-${Math.random().toString(36).slice(2)}`);

  async function expectRefused(pickle: Uint8Array, global: string, touched: string): Promise<void> {
    const path = await work.file(`hostile-${global}.pt`, torchArchive(pickle));
    const error = await loadStateDict(path).then(
      () => new Error('expected the checkpoint to be refused'),
      (caught: unknown) => caught as Error,
    );
    expect(error).toBeInstanceOf(CheckpointError);
    expect(error.message).toContain(
      `refusing to load global ${global} from ${path}: only tensor data is allowed`,
    );
    expect(existsSync(touched), 'the payload must not have run').toBe(false);
  }

  it('os.system through GLOBAL + REDUCE', async () => {
    const touched = marker();
    const pickle = new PickleWriter()
      .proto(2)
      .global('os', 'system')
      .mark()
      .str(`touch ${touched}`)
      .tuple()
      .reduce()
      .stop();
    await expectRefused(pickle, 'os.system', touched);
  });

  it('builtins.eval and __builtin__.exec', async () => {
    const touched = marker();
    const code = `__import__('os').system('touch ${touched}')`;
    await expectRefused(
      new PickleWriter().proto(2).global('builtins', 'eval').mark().str(code).tuple().reduce().stop(),
      'builtins.eval',
      touched,
    );
    await expectRefused(
      new PickleWriter().proto(2).global('__builtin__', 'exec').mark().str(code).tuple().reduce().stop(),
      '__builtin__.exec',
      touched,
    );
  });

  it('subprocess.Popen with an argument list', async () => {
    const touched = marker();
    const pickle = new PickleWriter()
      .proto(2)
      .global('subprocess', 'Popen')
      .mark()
      .emptyList()
      .mark()
      .str('touch')
      .str(touched)
      .appends()
      .tuple()
      .reduce()
      .stop();
    await expectRefused(pickle, 'subprocess.Popen', touched);
  });

  it('STACK_GLOBAL (protocol 4) and INST spellings of the same call', async () => {
    const touched = marker();
    const stacked = new PickleWriter()
      .proto(4)
      .shortStr('posix')
      .shortStr('system')
      .stackGlobal()
      .shortStr(`touch ${touched}`)
      .tuple1()
      .reduce()
      .stop();
    await expectRefused(stacked, 'posix.system', touched);
    const inst = new PickleWriter().proto(2).mark().str(`touch ${touched}`).inst('os', 'system').stop();
    await expectRefused(inst, 'os.system', touched);
  });

  it('a hostile global hidden after valid tensors, and non-allow-listed torch functions', async () => {
    const touched = marker();
    const specs: TensorSpec[] = [{ name: 'w', storage: 'FloatStorage', key: '0', numel: 1, shape: [1] }];
    const valid = stateDictPickle(specs);
    const tail = new PickleWriter()
      .global('os', 'system')
      .mark()
      .str(`touch ${touched}`)
      .tuple()
      .reduce()
      .stop();
    const hidden = Uint8Array.from([...valid.subarray(0, -1), 0x30, ...tail]); // POP the dict, then the payload
    await expectRefused(hidden, 'os.system', touched);
    await expectRefused(
      new PickleWriter().proto(2).global('torch', 'load').mark().str(touched).tuple().reduce().stop(),
      'torch.load',
      touched,
    );
  });

  it('numpy helpers only decode data: other dtypes and encodings are refused', async () => {
    const objectDtype = new PickleWriter()
      .proto(2)
      .global('numpy', 'dtype')
      .mark()
      .str('O8')
      .newFalse()
      .tuple()
      .reduce()
      .stop();
    await expect(
      loadStateDict(await work.file('numpy-object.pt', torchArchive(objectDtype))),
    ).rejects.toThrow(/unsupported numpy dtype "O8"/);
    const rot13 = new PickleWriter()
      .proto(2)
      .global('_codecs', 'encode')
      .mark()
      .str('x')
      .str('rot13')
      .tuple()
      .reduce()
      .stop();
    await expect(loadStateDict(await work.file('codecs.pt', torchArchive(rot13)))).rejects.toThrow(
      /only latin1/,
    );
    const array = new PickleWriter().proto(2).global('numpy.core.multiarray', '_reconstruct').stop();
    await expect(loadStateDict(await work.file('ndarray.pt', torchArchive(array)))).rejects.toThrow(
      /refusing to load global numpy\.core\.multiarray\._reconstruct/,
    );
  });

  it('names tensor storage types it cannot represent instead of calling them hostile', async () => {
    const pickle = new PickleWriter().proto(2).global('torch', 'ComplexFloatStorage').stop();
    await expect(loadStateDict(await work.file('complex.pt', torchArchive(pickle)))).rejects.toThrow(
      /pickle: unsupported tensor storage type torch\.ComplexFloatStorage/,
    );
  });

  it('calling an allowed storage class is refused too', async () => {
    const pickle = new PickleWriter().proto(2).global('torch', 'FloatStorage').emptyTuple().reduce().stop();
    await expect(loadStateDict(await work.file('call-storage.pt', torchArchive(pickle)))).rejects.toThrow(
      /torch\.FloatStorage cannot be called/,
    );
  });
});

describe('other formats get a clear error', () => {
  it('legacy (pre-1.6) torch.save files', async () => {
    const legacy = Uint8Array.from([
      0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e,
    ]);
    await expect(loadStateDict(await work.file('legacy.pt', legacy))).rejects.toThrow(
      /legacy PyTorch \(pre-1\.6, non-zip\) checkpoint: re-save it with torch\.save in a newer PyTorch or convert to safetensors/,
    );
  });

  it('TorchScript archives', async () => {
    const archive = storedZip([
      { name: 'model/data.pkl', data: new PickleWriter().proto(2).none().stop() },
      { name: 'model/constants.pkl', data: new PickleWriter().proto(2).emptyTuple().stop() },
      { name: 'model/code/__torch__.py', data: new TextEncoder().encode('def forward(self): ...') },
    ]);
    await expect(loadStateDict(await work.file('scripted.pt', archive))).rejects.toThrow(
      /TorchScript archive \(torch\.jit\.save\)/,
    );
  });

  it('tar archives, bare pickles, unknown bytes and zips that are not checkpoints', async () => {
    const tar = new Uint8Array(1024);
    tar.set(new TextEncoder().encode('ustar'), 257);
    await expect(loadStateDict(await work.file('old.tar', tar))).rejects.toThrow(/tar archive/);
    await expect(
      loadStateDict(await work.file('bare.pkl', new PickleWriter().proto(2).none().stop())),
    ).rejects.toThrow(/bare pickle file/);
    await expect(
      loadStateDict(await work.file('noise.bin', Uint8Array.from([1, 2, 3, 4, 5]))),
    ).rejects.toThrow(/unrecognised checkpoint format/);
    const notTorch = storedZip([{ name: 'readme.txt', data: new TextEncoder().encode('hi') }]);
    await expect(loadStateDict(await work.file('other.zip', notTorch))).rejects.toThrow(
      /without exactly one data\.pkl/,
    );
  });

  it('truncated zips and truncated pickles', async () => {
    const specs: TensorSpec[] = [{ name: 'w', storage: 'FloatStorage', key: '0', numel: 1, shape: [1] }];
    const whole = torchArchive(stateDictPickle(specs), { 0: bytesOf(Float32Array.from([1])) });
    const cut = await work.file('cut.pt', whole.subarray(0, Math.floor(whole.length / 2)));
    await expect(loadStateDict(cut)).rejects.toThrow(/not a readable zip archive/);
    const pickle = stateDictPickle(specs);
    const cutPickle = await work.file(
      'cut-pickle.pt',
      torchArchive(pickle.subarray(0, pickle.length - 10), { 0: bytesOf(Float32Array.from([1])) }),
    );
    await expect(loadStateDict(cutPickle)).rejects.toThrow(/pickle: (truncated|stack underflow)/);
  });

  it('dispatches on content, not on the file extension', async () => {
    const specs: TensorSpec[] = [{ name: 'w', storage: 'FloatStorage', key: '0', numel: 1, shape: [1] }];
    const torchPath = await work.file(
      'actually-torch.safetensors',
      torchArchive(stateDictPickle(specs), { 0: bytesOf(Float32Array.from([3])) }),
    );
    await withStateDict(torchPath, async (stateDict) => expect(stateDict.format).toBe('torch-zip'));
    const source = await openSafetensors(join(FIXTURES, 'clip/v1_train_grads.safetensors'));
    const { writeSafetensors } = await import('../../main/checkpoints');
    const safePath = join(work.dir, 'actually-safetensors.ckpt');
    await writeSafetensors(safePath, source.tensors());
    await source.close();
    await withStateDict(safePath, async (stateDict) => expect(stateDict.format).toBe('safetensors'));
  });
});
