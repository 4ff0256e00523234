import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CALL_NAMES,
  calls,
  createApp,
  dispatch,
  EVENT_NAMES,
  OWNER,
  type ApiContext,
  type App,
} from '../../main/api';
import { EventBus } from '../../main/app/event-bus';
import { handlers, type Handlers } from '../../main/api/handlers';
import { systemHandlers } from '../../main/api/handlers/system';

// createApp opens the library, so one studio on a temporary folder serves every call here.
const base = mkdtempSync(join(tmpdir(), 'hps-contract-'));
const libraryDir = join(base, 'library');
let app: App;

beforeAll(async () => {
  app = await createApp({ libraryDir, info: { version: '1.2.3', mode: 'serve', electron: null } });
});

afterAll(async () => {
  await app?.close();
  rmSync(base, { recursive: true, force: true });
});

const ctx = (): ApiContext => ({ app, auth: OWNER });

describe('API contract', () => {
  it('has a handler for every call and no handler without a call', () => {
    expect(Object.keys(handlers).sort()).toEqual([...CALL_NAMES].sort());
  });

  it('makes a missing handler a type error (checked by npm run typecheck)', () => {
    // @ts-expect-error jobs.list and jobs.cancel have no handler in this map
    const incomplete: Handlers = { ...systemHandlers };
    expect(Object.keys(incomplete)).not.toContain('jobs.list');
  });

  it('declares the foundation calls and events', () => {
    expect(CALL_NAMES).toEqual(
      expect.arrayContaining(['system.info', 'system.doctor', 'jobs.list', 'jobs.cancel']),
    );
    expect(EVENT_NAMES).toEqual(expect.arrayContaining(['job.progress', 'score.updated']));
    for (const name of CALL_NAMES) expect(calls[name].summary.length, name).toBeGreaterThan(10);
  });

  it('runs a call whose input is valid and returns contract-valid output', async () => {
    const info = await dispatch('system.info', {}, ctx());
    expect(calls['system.info'].output.parse(info)).toMatchObject({
      appVersion: '1.2.3',
      libraryDir,
    });
  });

  it('rejects bad payloads before the handler runs', async () => {
    await expect(dispatch('jobs.cancel', {}, ctx())).rejects.toMatchObject({ code: 'bad_request' });
    await expect(dispatch('jobs.cancel', { id: '' }, ctx())).rejects.toMatchObject({ code: 'bad_request' });
    await expect(dispatch('jobs.cancel', 'id', ctx())).rejects.toMatchObject({ code: 'bad_request' });
    await expect(dispatch('system.doctor', { eps: ['tpu'] }, ctx())).rejects.toThrow(/eps/);
    await expect(dispatch('system.info', { unexpected: 1 }, ctx())).rejects.toMatchObject({
      code: 'bad_request',
    });
  });

  it('refuses unknown calls, including inherited object keys', async () => {
    await expect(dispatch('system.reboot', {}, ctx())).rejects.toMatchObject({ code: 'not_found' });
    await expect(dispatch('toString', {}, ctx())).rejects.toMatchObject({ code: 'not_found' });
    await expect(dispatch('__proto__', {}, ctx())).rejects.toMatchObject({ code: 'not_found' });
  });

  it('allows annotators only the calls marked for them', async () => {
    const annotator: ApiContext = { ...ctx(), auth: { role: 'annotator', annotatorId: 'a' } };
    await expect(dispatch('jobs.list', {}, annotator)).rejects.toMatchObject({ code: 'forbidden' });
  });

  it('probes only the requested execution providers', async () => {
    const out = (await dispatch('system.doctor', { eps: ['cpu'] }, ctx())) as {
      results: { ep: string; ok: boolean }[];
    };
    expect(out.results).toEqual([expect.objectContaining({ ep: 'cpu', ok: true })]);
  });
});

describe('EventBus', () => {
  it('delivers valid events and throws on payloads that break the contract', () => {
    const bus = new EventBus();
    const got: unknown[] = [];
    const unsubscribe = bus.subscribe((m) => got.push(m));
    bus.emit('score.updated', { imageId: 'i1', scorerId: 'hps-v2', score: 27.1 });
    expect(got).toEqual([
      { event: 'score.updated', payload: { imageId: 'i1', scorerId: 'hps-v2', score: 27.1 } },
    ]);
    expect(() =>
      bus.emit('score.updated', { imageId: 'i1', scorerId: 'hps-v2', score: 'high' } as never),
    ).toThrow(/score/);
    unsubscribe();
    bus.emit('score.updated', { imageId: 'i2', scorerId: 'hps-v2', score: 1 });
    expect(got).toHaveLength(1);
  });
});
