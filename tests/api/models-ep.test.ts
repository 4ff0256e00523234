// Which EP each model is shown to run on: the first EP of the preference order that the doctor found working.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventBus } from '../../main/app/event-bus';
import { EP_PREFERENCE, ModelManager } from '../../main/app/model-manager';
import type { ExecutionProvider, ProbeResult } from '../../main/engine/runtime';
import { JobRegistry } from '../../main/services/jobs';

let dataDir: string;
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'hps-models-ep-'));
});
afterAll(() => rm(dataDir, { recursive: true, force: true }));

function service(working: readonly ExecutionProvider[]) {
  let probes = 0;
  const probe = async (): Promise<ProbeResult[]> => {
    probes++;
    return EP_PREFERENCE.map((ep) => ({
      ep,
      ok: working.includes(ep),
      ms: 1,
      reason: working.includes(ep) ? undefined : 'no',
    }));
  };
  const models = new ModelManager({ dataDir, jobs: new JobRegistry(), events: new EventBus(), probe });
  return { models, probes: () => probes };
}

describe('EP per model', () => {
  it('prefers native GPU EPs, then the runtime fallback chain ending in cpu', () => {
    expect(EP_PREFERENCE).toEqual(['cuda', 'dml', 'coreml', 'webgpu', 'cpu']);
  });

  it('skips EPs the doctor found unavailable, probing once for the whole catalog', async () => {
    const { models, probes } = service(['webgpu', 'cpu']);
    const { models: catalog } = await models.catalog();
    const hps = catalog.find((m) => m.id === 'hps-v2.1')!;
    expect(hps.ep).toMatchObject({ preferred: 'webgpu', order: ['webgpu', 'cpu'] });
    expect(catalog.find((m) => m.purpose === 'generator')!.ep.preferred).toBe('webgpu');
    expect(catalog.find((m) => m.purpose === 'tokenizer')!.ep).toMatchObject({ preferred: null, order: [] });
    await models.catalog();
    expect(probes()).toBe(1);
  });

  it('picks cuda where it works, and says so when nothing works', async () => {
    const cuda = (await service(['cuda', 'cpu']).models.catalog()).models[0]!.ep;
    expect(cuda).toMatchObject({ preferred: 'cuda', order: ['cuda', 'cpu'] });
    const none = (await service([]).models.catalog()).models[0]!.ep;
    expect(none.preferred).toBeNull();
    expect(none.note).toMatch(/no execution provider works/);
  });
});
