// Whether this machine has an NVIDIA GPU with its driver, so `doctor` can say how to get the CUDA EP:
// onnxruntime-node's npm package leaves the CUDA libraries out, and this project's .npmrc skips their download.
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

export const CUDA_INSTALL_COMMAND = 'npm install --onnxruntime-node-install=cuda12';

/** The driver's /proc entry (Linux) or nvidia-smi on the PATH (Windows, and Linux without /proc access). */
export function nvidiaGpuPresent(
  env: NodeJS.ProcessEnv = process.env,
  exists: (path: string) => boolean = existsSync,
): boolean {
  if (exists('/proc/driver/nvidia/version')) return true;
  const names = process.platform === 'win32' ? ['nvidia-smi.exe'] : ['nvidia-smi'];
  return (env.PATH ?? '')
    .split(delimiter)
    .some((dir) => dir !== '' && names.some((name) => exists(join(dir, name))));
}

/** What to do when the CUDA EP does not load on a machine with an NVIDIA GPU. */
export function cudaHint(): string {
  return `this machine has an NVIDIA GPU: install onnxruntime's CUDA 12 execution provider with \`${CUDA_INSTALL_COMMAND}\` in the HPS Studio folder, then run doctor again`;
}
