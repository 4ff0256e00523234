// Checkpoint readers and writers. Start with `loadStateDict(path)` (any .safetensors / .pt / .pth / .ckpt / .bin,
// detected by content): named tensors whose bytes are read from disk on demand. `openSafetensors` and
// `openTorchCheckpoint` give the format-level views; `writeSafetensors` writes (LoRA output, conversions).
export { CheckpointError } from './errors';
export * from './dtypes';
export type { TensorData } from './tensor';
export { elementCount } from './tensor';
export { openSafetensors, parseSafetensorsHeader, MAX_HEADER_BYTES } from './safetensors';
export type { SafetensorsEntry, SafetensorsFile, SafetensorsHeader } from './safetensors';
export { writeSafetensors } from './safetensors-writer';
export type { TensorSource } from './safetensors-writer';
export { openTorchCheckpoint } from './torch-zip';
export type { TorchCheckpoint } from './torch-zip';
export { TorchTensor } from './torch-globals';
export type { TorchStorage } from './torch-globals';
export { detectCheckpointFormat, loadStateDict, torchStateDict } from './load';
export type { CheckpointFormat, StateDict } from './load';
