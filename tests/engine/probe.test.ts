import { delimiter, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nvidiaGpuPresent } from '../../main/engine/runtime/nvidia';
import { probeExecutionProvider, probeExecutionProviders } from '../../main/engine/runtime/probe';

describe('execution provider probe', () => {
  it('runs the tiny graph on cpu', async () => {
    const r = await probeExecutionProvider('cpu');
    expect(r).toMatchObject({ ep: 'cpu', ok: true });
  });

  it('runs the tiny graph on webgpu (software Vulkan here) with the CPU result', async () => {
    const r = await probeExecutionProvider('webgpu');
    expect(r.reason).toBeUndefined();
    expect(r.ok).toBe(true);
  });

  it('reports a reason for an EP that is not available', async () => {
    const r = await probeExecutionProvider('coreml');
    expect(r.ok).toBe(false);
    expect(r.reason).toMatch(/\w/);
  });
});

describe('the CUDA hint', () => {
  it('tells a machine with an NVIDIA GPU and no CUDA EP the exact install command', async () => {
    const [cuda] = await probeExecutionProviders(['cuda'], () => true);
    expect(cuda!.ok).toBe(false);
    expect(cuda!.hint).toContain('`npm install --onnxruntime-node-install=cuda12`');
    const [withoutGpu] = await probeExecutionProviders(['cuda'], () => false);
    expect(withoutGpu!.hint).toBeUndefined();
    const [cpu] = await probeExecutionProviders(['cpu'], () => true);
    expect(cpu!.hint).toBeUndefined();
  });

  it('finds the GPU by its driver or by nvidia-smi on the PATH', () => {
    const only = (paths: string[]) => (p: string) => paths.includes(p);
    expect(nvidiaGpuPresent({ PATH: '' }, only(['/proc/driver/nvidia/version']))).toBe(true);
    expect(
      nvidiaGpuPresent({ PATH: `/opt/a${delimiter}/usr/bin` }, only([join('/usr/bin', 'nvidia-smi')])),
    ).toBe(process.platform !== 'win32');
    expect(nvidiaGpuPresent({ PATH: '/usr/bin' }, only([]))).toBe(false);
  });
});
