import { open } from 'node:fs/promises';
import { CheckpointError } from './errors';
import { openSafetensors } from './safetensors';
import { openTorchCheckpoint, type TorchCheckpoint } from './torch-zip';
import { TorchTensor } from './torch-globals';
import type { TensorData } from './tensor';

export type CheckpointFormat = 'safetensors' | 'torch-zip';

/** Named tensors of one checkpoint file; bytes are read on demand, so keep it open while reading. */
export interface StateDict {
  readonly path: string;
  readonly format: CheckpointFormat;
  readonly tensors: ReadonlyMap<string, TensorData>;
  /** safetensors `__metadata__` (empty for torch files). */
  readonly metadata: Readonly<Record<string, string>>;
  close(): Promise<void>;
}

/** torch's legacy serialization starts with a pickled magic number: PROTO 2, LONG1 of 10 bytes 0x1950a86a20f9469cfc6c. */
const LEGACY_TORCH_PREFIX = [
  0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19,
];

/** Decides the format from the first bytes, never from the extension. */
export async function detectCheckpointFormat(path: string): Promise<CheckpointFormat> {
  const head = await readHead(path, 512);
  const startsWith = (prefix: readonly number[], at = 0) => prefix.every((byte, i) => head[at + i] === byte);
  if (startsWith([0x50, 0x4b, 0x03, 0x04]) || startsWith([0x50, 0x4b, 0x05, 0x06])) return 'torch-zip';
  if (head.length >= 9 && head[8] === 0x7b && head.subarray(4, 8).every((byte) => byte === 0))
    return 'safetensors';
  if (startsWith(LEGACY_TORCH_PREFIX)) {
    throw new CheckpointError(
      path,
      'legacy PyTorch (pre-1.6, non-zip) checkpoint: re-save it with torch.save in a newer PyTorch or convert to safetensors',
    );
  }
  if (startsWith([0x75, 0x73, 0x74, 0x61, 0x72], 257)) {
    throw new CheckpointError(
      path,
      'tar archive (the oldest PyTorch tar format?) is not supported: re-save it with torch.save in a newer PyTorch or convert to safetensors',
    );
  }
  if (head[0] === 0x80) {
    throw new CheckpointError(
      path,
      'bare pickle file (not a torch.save zip archive): refusing to load it; convert it to safetensors',
    );
  }
  throw new CheckpointError(
    path,
    'unrecognised checkpoint format: expected safetensors or a PyTorch (torch.save zip) checkpoint',
  );
}

async function readHead(path: string, length: number): Promise<Uint8Array> {
  const handle = await open(path, 'r');
  try {
    const head = new Uint8Array(length);
    const { bytesRead } = await handle.read(head, 0, length, 0);
    return head.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/**
 * Opens .safetensors / .pt / .pth / .ckpt / .bin alike. Torch files yield `['state_dict']` when the top level has
 * one (as hpc.pt and the HPS v2 checkpoints do), else the top level; nested dicts are flattened with dots.
 */
export async function loadStateDict(path: string): Promise<StateDict> {
  const format = await detectCheckpointFormat(path);
  if (format === 'safetensors') {
    const file = await openSafetensors(path);
    return { path, format, tensors: file.tensors(), metadata: file.metadata, close: () => file.close() };
  }
  const checkpoint = await openTorchCheckpoint(path);
  try {
    return {
      path,
      format,
      tensors: torchStateDict(checkpoint),
      metadata: {},
      close: () => checkpoint.close(),
    };
  } catch (error) {
    await checkpoint.close();
    throw error;
  }
}

export function torchStateDict(checkpoint: TorchCheckpoint): Map<string, TensorData> {
  const { root } = checkpoint;
  const stateDict =
    root instanceof Map && root.get('state_dict') instanceof Map ? root.get('state_dict') : root;
  const tensors = new Map<string, TensorData>();
  collectTensors(stateDict, '', (name, tensor) => tensors.set(name, checkpoint.tensor(tensor)));
  if (tensors.size === 0) throw new CheckpointError(checkpoint.path, 'no tensors found in this checkpoint');
  return tensors;
}

function collectTensors(
  value: unknown,
  prefix: string,
  visit: (name: string, tensor: TorchTensor) => void,
  seen = new Set<unknown>(),
): void {
  if (value instanceof TorchTensor) visit(prefix, value);
  else if (value instanceof Map && !seen.has(value)) {
    // Pickles can hold cycles (a dict inside itself): each dict is walked once.
    seen.add(value);
    for (const [key, item] of value) {
      if (typeof key !== 'string' && typeof key !== 'number') continue;
      collectTensors(item, prefix ? `${prefix}.${key}` : String(key), visit, seen);
    }
  }
}
