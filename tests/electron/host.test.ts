// The engine host (dist-electron/host.cjs) outside Electron: the same bundle, with parentPort faked over
// Node's fork IPC, must load main/ through tsx and answer calls with result envelopes and forward events.
import { type ChildProcess, fork, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostToMain } from '../../electron/host-protocol';

const root = fileURLToPath(new URL('../../', import.meta.url));
let child: ChildProcess;
let library: string;
const messages: HostToMain[] = [];

function next(predicate: (m: HostToMain) => boolean): Promise<HostToMain> {
  const found = messages.find(predicate);
  if (found) return Promise.resolve(found);
  return new Promise((resolve) => {
    const onMessage = (m: HostToMain) => {
      if (!predicate(m)) return;
      child.off('message', onMessage);
      resolve(m);
    };
    child.on('message', onMessage);
  });
}

beforeAll(async () => {
  const build = spawnSync(process.execPath, ['scripts/build-electron.mjs'], { cwd: root, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`build-electron failed: ${build.stderr}`);
  library = mkdtempSync(join(tmpdir(), 'hps-host-'));
  child = fork(join(root, 'tests/electron/fake-parent-port.cjs'), [], {
    cwd: root,
    env: {
      ...process.env,
      HOST_SCRIPT: join(root, 'dist-electron/host.cjs'),
      HPS_APP_ROOT: root,
      HPS_LIBRARY_DIR: library,
      HPS_DATA_DIR: join(library, 'data'),
      HPS_APP_VERSION: '7.7.7',
    },
  });
  child.on('message', (m: HostToMain) => messages.push(m));
  await next((m) => m.type === 'ready');
});

afterAll(() => {
  child?.kill();
  rmSync(library, { recursive: true, force: true });
});

describe('engine host (utility process entry)', () => {
  it('answers system.info in desktop mode with the library it was given', async () => {
    child.send({ type: 'call', id: 1, name: 'system.info', input: {} });
    const reply = await next((m) => m.type === 'result' && m.id === 1);
    expect(reply).toMatchObject({
      result: { ok: true, output: { mode: 'desktop', appVersion: '7.7.7', libraryDir: library } },
    });
  });

  it('returns a bad_request envelope for invalid input instead of throwing', async () => {
    child.send({ type: 'call', id: 2, name: 'jobs.cancel', input: { id: 5 } });
    const reply = await next((m) => m.type === 'result' && m.id === 2);
    expect(reply).toMatchObject({ result: { ok: false, error: { code: 'bad_request' } } });
  });

  it('returns not_found for calls outside the contract', async () => {
    child.send({ type: 'call', id: 3, name: 'fs.readFile', input: { path: '/etc/passwd' } });
    const reply = await next((m) => m.type === 'result' && m.id === 3);
    expect(reply).toMatchObject({ result: { ok: false, error: { code: 'not_found' } } });
  });
});
