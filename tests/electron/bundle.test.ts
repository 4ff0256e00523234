// The packaged app's engine runs from the bundle alone. build-electron.mjs writes dist-electron/ into a folder
// laid out like app.asar without main/ sources; its node_modules holds only the native packages the bundle
// leaves external, so tsx (and esbuild) cannot be resolved from there at all. host.cjs is then started with
// plain Node (no loader, clean environment) behind a fake parentPort, and real calls must work: the library,
// an import job, an HPS v1 scorer scoring on the runtime worker thread (stored cosines equal the fixture's),
// and a 32 px sd-tiny generation on the generic task worker. Every bundled task module must load there too.
import { type ChildProcess, fork, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallResult, EventMessage } from '../../main/contract';
import { withLibrary } from '../library/open-library';
import type { HostToMain } from '../../electron/host-protocol';
import { f32, fixture, manifest, VOCAB } from '../models/clip-fixtures';
import { expectWithin } from '../parity';

const root = fileURLToPath(new URL('../../', import.meta.url));
const sdTiny = resolve(root, '../shared/fixtures/sd/sd-tiny');
/** The packages build-electron.mjs keeps external (electron aside): all the app needs beside the bundle. */
const NATIVE = ['onnxruntime-node', 'sharp', 'better-sqlite3'];
/** Fixture images 0 and 2 with manifest prompt 0, so the stored cosines are v1_cosine[image][0]. */
const IMAGE_ROWS = [0, 2];
const PROMPT = manifest.prompts[0]!;

let base: string;
let app: string;
let library: string;
let child: ChildProcess;
let stderr = '';
const events: EventMessage[] = [];
const results = new Map<number, (result: CallResult) => void>();
let nextId = 1;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- outputs are checked field by field
async function call(name: string, input: unknown = {}): Promise<any> {
  const id = nextId++;
  const result = await new Promise<CallResult>((done) => {
    results.set(id, done);
    child.send({ type: 'call', id, name, input });
  });
  if (!result.ok) throw new Error(`${name}: ${result.error.code}: ${result.error.message}`);
  return result.output;
}

function nextEvent<T>(match: (m: EventMessage) => boolean, timeoutMs = 60_000): Promise<T> {
  const seen = events.find(match);
  if (seen) return Promise.resolve(seen.payload as T);
  return new Promise((done, fail) => {
    const timer = setTimeout(
      () => fail(new Error(`no matching event in ${timeoutMs} ms\n${stderr}`)),
      timeoutMs,
    );
    const onMessage = (m: HostToMain) => {
      if (m.type !== 'event' || !match(m.message)) return;
      clearTimeout(timer);
      child.off('message', onMessage);
      done(m.message.payload as T);
    };
    child.on('message', onMessage);
  });
}

const jobFinished = (jobId: string) =>
  nextEvent<{ status: string; error?: string }>(
    (m) =>
      m.event === 'job.progress' &&
      (m.payload as { id: string }).id === jobId &&
      (m.payload as { status: string }).status !== 'running',
  );

beforeAll(async () => {
  base = mkdtempSync(join(tmpdir(), 'hps-bundle-'));
  app = join(base, 'app');
  library = join(base, 'library');
  mkdirSync(join(app, 'node_modules'), { recursive: true });
  copyFileSync(join(root, 'package.json'), join(app, 'package.json'));
  for (const name of NATIVE) symlinkSync(join(root, 'node_modules', name), join(app, 'node_modules', name));
  const build = spawnSync(
    process.execPath,
    ['scripts/build-electron.mjs', '--outdir', join(app, 'dist-electron')],
    { cwd: root, encoding: 'utf8' },
  );
  if (build.status !== 0) throw new Error(`build-electron failed: ${build.stderr}`);

  child = fork(join(root, 'tests/electron/fake-parent-port.cjs'), [], {
    cwd: app,
    execArgv: [],
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    env: {
      PATH: process.env.PATH ?? '',
      NODE_OPTIONS: '',
      HOST_SCRIPT: join(app, 'dist-electron/host.cjs'),
      HPS_APP_ROOT: app,
      HPS_LIBRARY_DIR: library,
      HPS_DATA_DIR: join(base, 'data'),
      HPS_APP_VERSION: '9.9.9',
    },
  });
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const ready = new Promise<void>((done, fail) => {
    child.once('exit', (code) => fail(new Error(`host exited (${code}) before it was ready:\n${stderr}`)));
    child.on('message', (m: HostToMain) => {
      if (m.type === 'ready') done();
      else if (m.type === 'event') events.push(m.message);
      else if (m.type === 'result') results.get(m.id)?.(m.result);
    });
  });
  await ready;
}, 60_000);

afterAll(() => {
  child?.kill();
  if (base) rmSync(base, { recursive: true, force: true });
});

describe('the bundled engine on plain Node (as packaged)', () => {
  it('is really cut off from tsx: the app folder cannot resolve it', () => {
    const probe = spawnSync(process.execPath, ['--input-type=module', '-e', "await import('tsx/esm/api')"], {
      cwd: join(app, 'dist-electron/engine'),
      env: { PATH: process.env.PATH ?? '' },
      encoding: 'utf8',
    });
    expect(probe.status).not.toBe(0);
    expect(probe.stderr).toMatch(/Cannot find package 'tsx'/);
  });

  it('loads every task module the API hands to a worker, with the exports it starts', () => {
    const script = `for (const name of ['generate-task', 'training-task', 'scorer-task']) {
      const module = await import('./' + name + '.mjs');
      console.log(name, Object.keys(module).filter((key) => typeof module[key] === 'function').sort().join(','));
    }`;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: join(app, 'dist-electron/engine'),
      env: { PATH: process.env.PATH ?? '' },
      encoding: 'utf8',
    });
    expect(run.stderr).toBe('');
    expect(run.stdout.trim().split('\n')).toEqual([
      'generate-task createTasks',
      'training-task train',
      'scorer-task labelNext,trainScorer',
    ]);
  });

  it('answers library.status and imports images in a job', async () => {
    expect(await call('system.info')).toMatchObject({ mode: 'desktop', appVersion: '9.9.9' });
    expect((await call('library.status')).stats).toMatchObject({ images: 0, comparisons: 0 });
    const folder = join(base, 'import');
    mkdirSync(folder);
    const files = IMAGE_ROWS.map((row) => manifest.images[row]!);
    for (const file of files) copyFileSync(fixture(file), join(folder, file));
    const lines = files.map((file) => JSON.stringify({ image: file, prompt: PROMPT }));
    writeFileSync(join(folder, 'prompts.jsonl'), lines.join('\n'));
    const { jobId } = await call('library.import', {
      format: 'folder',
      folder,
      prompts: join(folder, 'prompts.jsonl'),
    });
    expect((await jobFinished(jobId)).status).toBe('done');
    expect((await call('library.importReport', { jobId })).report).toMatchObject({ imagesAdded: 2 });
    expect((await call('library.status')).stats).toMatchObject({ images: 2, comparisons: 1 });
  }, 30_000);

  it('scores the library with HPS v1 on the runtime worker thread, storing the reference cosines', async () => {
    const { scorer } = await call('scorers.load', {
      kind: 'hps-v1',
      path: fixture('hps_v1_tiny.pt'),
      vocab: VOCAB,
    });
    const job = await jobFinished(scorer.jobId);
    expect(job.status, job.error).toBe('done');
    // A second connection to the host's library, as another process reads it.
    const worst = await withLibrary(library, async (lib) => {
      const bytesOf = new Map(
        (await lib.listImages()).map((image) => [image.id, readFileSync(lib.imagePath(image))]),
      );
      const reference = f32('v1_cosine.f32');
      const stored = await lib.scores.list({ modelId: scorer.id });
      expect(stored).toHaveLength(IMAGE_ROWS.length);
      let largest = 0;
      for (const score of stored) {
        const bytes = bytesOf.get(score.imageId)!;
        const row = IMAGE_ROWS.find((r) => bytes.equals(readFileSync(fixture(manifest.images[r]!))))!;
        const expected = reference[row * manifest.prompts.length]!;
        largest = Math.max(largest, Math.abs(score.cosine! - expected));
      }
      return largest;
    });
    expectWithin('bundled scorer cosines vs v1_cosine, max |Δ|', worst, 1e-4);
  }, 60_000);

  it('generates a 32 px sd-tiny image on the generic task worker', async () => {
    const { jobId, batchId } = await call('generate.start', {
      model: sdTiny,
      vocab: VOCAB,
      prompt: 'a red cube on a blue table',
      steps: 2,
      cfg: 7.5,
      seed: 5,
      scheduler: 'euler',
      width: 32,
      height: 32,
      batch: 1,
    });
    const job = await jobFinished(jobId);
    expect(job.status, job.error).toBe('done');
    const done = await nextEvent<{ images: { path: string; seed: number }[] }>(
      (m) => m.event === 'generate.done' && (m.payload as { batchId: string }).batchId === batchId,
    );
    expect(done.images.map((image) => image.seed)).toEqual([5]);
    const { width, height } = await sharp(join(library, done.images[0]!.path)).metadata();
    expect([width, height]).toEqual([32, 32]);
    // A real sample, not a blank canvas: the channels vary across the image.
    const { channels } = await sharp(join(library, done.images[0]!.path)).stats();
    expect(Math.max(...channels.map((c) => c.stdev))).toBeGreaterThan(1);
  }, 60_000);
});
