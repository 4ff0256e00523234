// The team server end to end on real components: `hps-studio serve` with its library on PostgreSQL and library
// scoring on a Redis queue, two `hps-studio worker` processes, Chromium. The admin imports through the dialog;
// loading a scorer sends the library to the queue, where both workers score it while one is killed (kill -9)
// mid-chunk: its chunk goes to the other, and every pair ends scored exactly once. The admin sees the workers'
// scores as chips; an annotator labels by keyboard and PostgreSQL holds exactly those judgments. No process
// prints the database or queue password, and the browser never receives it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Library } from '../../main/services/library';
import { fixture, VOCAB } from '../models/clip-fixtures';
import { createDatabase } from '../support/servers';
import {
  addAnnotator,
  ensureRendererBuilt,
  launchChromium,
  startServe,
  startWorker,
  writeImageFolder,
  type Serve,
  type Worker,
} from './labeling-helpers';

let tmp: string;
let library: string;
let source: string;
let promptsFile: string;
let env: NodeJS.ProcessEnv;
let databaseUrl: string;
let adminToken: string;
let annotatorToken: string;
let serve: Serve;
let workers: Worker[];
let browser: Browser;
let page: Page;
const seenByBrowser: string[] = [];

const post = (call: string, body: unknown, token: string) =>
  fetch(`${serve.url}api/${call}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });

const passwords = () => [new URL(databaseUrl).password, new URL(inject('redisUrl')).password];

async function openLibrary(): Promise<Library> {
  return Library.open(library, { databaseUrl });
}

beforeAll(async () => {
  ensureRendererBuilt();
  tmp = mkdtempSync(join(tmpdir(), 'hps-team-'));
  library = join(tmp, 'library');
  source = join(tmp, 'source');
  promptsFile = await writeImageFolder(source, 6, 3);
  databaseUrl = await createDatabase(inject('postgresAdminUrl'));
  // The URLs travel in the environment, as the README tells teams to pass them.
  env = {
    ...process.env,
    HPS_DATABASE_URL: databaseUrl,
    HPS_QUEUE_URL: inject('redisUrl'),
    HPS_DATA_DIR: join(tmp, 'data'),
  };
  adminToken = addAnnotator(library, 'curator', 'admin', env);
  annotatorToken = addAnnotator(library, 'annie', 'annotator', env);
  serve = await startServe(library, env);
  workers = await Promise.all([0, 1].map(() => startWorker(library, env, ['--lock-timeout', '2'])));
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on('response', (response) => {
    if (response.url().includes('/api/'))
      void response.text().then(
        (text) => seenByBrowser.push(text),
        () => {},
      );
  });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  for (const worker of workers ?? []) worker.child.kill('SIGKILL');
  serve?.child.kill('SIGKILL');
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('team server on PostgreSQL with two queue workers', () => {
  it('the admin signs in and imports 18 images through the dialog into PostgreSQL', async () => {
    await page.goto(serve.url);
    await page.getByLabel('Token').fill(adminToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Import…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Import' });
    await dialog.getByLabel('Image folder').fill(source);
    await dialog.getByLabel('Prompts file').fill(basename(promptsFile));
    await dialog.getByRole('button', { name: 'Import', exact: true }).click();
    await dialog.getByLabel('Import report').waitFor({ timeout: 60_000 });
    await dialog.getByRole('button', { name: 'Close' }).click();
    const db = await openLibrary();
    try {
      expect(db.db.dialect).toBe('postgres');
      expect(await db.stats()).toMatchObject({ images: 18, comparisons: 18, annotators: 2 });
    } finally {
      await db.close();
    }
  });

  it('scores the library on the workers; a worker killed mid-chunk loses nothing and nothing is done twice', async () => {
    const load = await post(
      'scorers.load',
      { kind: 'hps-v1', path: fixture('hps_v1_tiny.pt'), vocab: VOCAB, scoreLibrary: true },
      adminToken,
    );
    expect(load.status).toBe(200);
    // The first worker to start a chunk is killed at once: its first chunk also loads the model, so it is
    // still in hand.
    let killed: { worker: Worker; chunk: string } | undefined;
    await expect
      .poll(
        () => {
          for (const worker of workers) {
            const started = /chunk (\S+) started/.exec(worker.output());
            if (started && !killed) {
              worker.child.kill('SIGKILL');
              killed = { worker, chunk: started[1]! };
            }
          }
          return killed !== undefined;
        },
        { interval: 5, timeout: 60_000 },
      )
      .toBe(true);
    const { worker: dead, chunk } = killed!;
    expect(dead.output()).not.toMatch(new RegExp(`chunk ${chunk}: \\d+ scored`));
    const survivor = workers.find((worker) => worker !== dead)!;

    await expect
      .poll(
        async () => {
          const { jobs } = (await (await post('jobs.list', {}, adminToken)).json()) as {
            jobs: { kind: string; status: string }[];
          };
          return jobs.find((job) => job.kind === 'scores')?.status;
        },
        { timeout: 120_000, interval: 250 },
      )
      .toBe('done');
    // The killed worker's chunk went back to the queue after its lock expired, and the survivor scored it.
    expect(survivor.output()).toMatch(new RegExp(`chunk ${chunk}: \\d+ scored`));
    const db = await openLibrary();
    try {
      const scores = await db.scores.list({ modelId: 'hps_v1_tiny' });
      expect(scores).toHaveLength(18);
      expect(new Set(scores.map((s) => `${s.imageId}:${s.promptId}`)).size).toBe(18);
    } finally {
      await db.close();
    }
  });

  it("shows the workers' scores as chips to the admin (blind mode off)", async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Compare' }).click();
    await page.locator('.stage').waitFor();
    await page.getByLabel('Blind mode').uncheck();
    await page.locator('figure').first().locator('.chip').first().waitFor();
    expect(await page.locator('figure .chip').count()).toBeGreaterThanOrEqual(2);
  });

  it('an annotator labels by keyboard and PostgreSQL holds exactly those judgments', async () => {
    await page.goto(`${serve.url}?token=${annotatorToken}#/compare`);
    const judged: number[] = [];
    for (const key of ['ArrowLeft', 't', 'ArrowRight']) {
      const stage = page.locator('.stage');
      await stage.waitFor();
      const id = Number(await stage.getAttribute('data-comparison-id'));
      await page.keyboard.press(key);
      await page.waitForFunction(
        (before) => Number(document.querySelector('.stage')?.getAttribute('data-comparison-id')) !== before,
        id,
      );
      judged.push(id);
    }
    const db = await openLibrary();
    try {
      const annie = (await db.annotators.byName('annie'))!;
      const judgments = await db.judgments.list({ annotatorId: annie.id });
      expect(judgments.map((j) => [j.comparisonId, j.kind])).toEqual([
        [judged[0], 'choice'],
        [judged[1], 'tie'],
        [judged[2], 'choice'],
      ]);
    } finally {
      await db.close();
    }
  });

  it('a worker stops on SIGTERM, closing its connections', async () => {
    const survivor = workers.find(
      (worker) => worker.child.exitCode === null && worker.child.signalCode === null,
    )!;
    const exited = new Promise<number | null>((resolve) =>
      survivor.child.once('exit', (code) => resolve(code)),
    );
    survivor.child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(survivor.output()).toContain('Stopping: finishing the chunk in hand');
  });

  it('never prints the database or queue password, nor sends it to the browser', () => {
    const printed = [serve.output(), ...workers.map((worker) => worker.output())].join('\n');
    expect(printed).toContain('Library database: postgres://hps:***@');
    expect(seenByBrowser.length).toBeGreaterThan(5);
    for (const password of passwords()) {
      expect(printed).not.toContain(password);
      for (const body of seenByBrowser) expect(body).not.toContain(password);
    }
  });
});
