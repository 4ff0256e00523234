import { describe, expect, it } from 'vitest';
import { probeExecutionProvider } from '../../main/engine/runtime/probe';

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
