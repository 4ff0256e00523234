/** Reads the shared SD fixtures (read-only ground truth) for the diffusion tests. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const sdFixtureDir = fileURLToPath(new URL('../../../shared/fixtures/sd/', import.meta.url));

export function sdFixturePath(name: string): string {
  return sdFixtureDir + name;
}

export function readF32(name: string): Float32Array {
  const bytes = readFileSync(sdFixturePath(name));
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

export interface SchedulerFixture {
  class: string;
  config: Record<string, unknown>;
  timesteps: number[];
  init_noise_sigma: number;
}

export interface SdManifest {
  schedulers: Record<string, SchedulerFixture>;
  fake_eps: string;
}

export function readManifest(): SdManifest {
  return JSON.parse(readFileSync(sdFixturePath('manifest.json'), 'utf8')) as SdManifest;
}

export function relativeError(ours: ArrayLike<number>, ref: ArrayLike<number>): number {
  if (ours.length !== ref.length) throw new Error(`length ${ours.length} vs ${ref.length}`);
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < ref.length; i++) {
    diff += (ours[i]! - ref[i]!) ** 2;
    norm += ref[i]! ** 2;
  }
  return Math.sqrt(diff / norm);
}
