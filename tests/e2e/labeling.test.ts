// Team-mode labeling end to end: `hps-studio serve` with an admin and an annotator, driven by Chromium.
// Import through the dialog, label by keyboard (a tie, a skip, two undos), check the database; kill -9 the
// server during rapid labeling and check every acknowledged judgment survived exactly once; 401/403.
import { mkdirSync, mkdtempSync, rmSync, existsSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Library } from '../../main/services/library';
import {
  addAnnotator,
  ensureRendererBuilt,
  launchChromium,
  ROOT,
  startServe,
  writeImageFolder,
  type Serve,
} from './labeling-helpers';

const SHOTS = join(ROOT, 'assets/screenshots');
const updateShots = (name: string) =>
  process.env.UPDATE_SCREENSHOTS === '1' || !existsSync(join(SHOTS, name));

let tmp: string;
let library: string;
let source: string;
let promptsFile: string;
let adminToken: string;
let annotatorToken: string;
let serve: Serve;
let browser: Browser;
let page: Page;
const consoleErrors: string[] = [];

const post = (call: string, body: unknown, token?: string) =>
  fetch(`${serve.url}api/${call}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });

beforeAll(async () => {
  ensureRendererBuilt();
  tmp = mkdtempSync(join(tmpdir(), 'hps-labeling-'));
  library = join(tmp, 'library');
  source = join(tmp, 'source');
  promptsFile = await writeImageFolder(source, 10, 3);
  adminToken = addAnnotator(library, 'curator', 'admin');
  annotatorToken = addAnnotator(library, 'annie', 'annotator');
  serve = await startServe(library);
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 800 }, colorScheme: 'light' });
  // Expected noise: the 401 the login screen starts from, the 400 of the refused import path, the killed
  // server and the aborted submit.
  page.on(
    'console',
    (m) =>
      m.type() === 'error' &&
      !/status of 40[013]|ERR_CONNECTION_(REFUSED|RESET)/.test(m.text()) &&
      consoleErrors.push(m.text()),
  );
  page.on('pageerror', (e) => consoleErrors.push(e.message));
}, 120_000);

afterAll(async () => {
  await browser?.close();
  serve?.child.kill('SIGKILL');
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

interface Shown {
  comparisonId: number;
  imageIds: number[];
}

async function shown(): Promise<Shown> {
  const stage = page.locator('.stage');
  await stage.waitFor();
  const comparisonId = Number(await stage.getAttribute('data-comparison-id'));
  const imageIds = (
    await stage.locator('figure').evaluateAll((els) => els.map((e) => e.getAttribute('data-image-id')))
  ).map(Number);
  return { comparisonId, imageIds };
}

/** Waits until the stage shows comparison `target` ('is') or any other one ('not'). */
async function waitForItem(op: 'is' | 'not', target: number): Promise<Shown> {
  await page
    .waitForFunction(
      ([o, t]) => {
        const id = Number(document.querySelector('.stage')?.getAttribute('data-comparison-id'));
        return o === 'is' ? id === t : id !== t;
      },
      [op, target] as const,
      { timeout: 10_000 },
    )
    .catch(async (error: Error) => {
      const banner = await page.locator('[role=alert]').allInnerTexts();
      const id = await page.locator('.stage').getAttribute('data-comparison-id');
      throw new Error(`${error.message}; on screen: ${id} ${banner.join(' ')}`);
    });
  return shown();
}

describe('labeling in team mode (hps-studio serve)', () => {
  it('loads the page without a token and asks for one; the API answers 401', async () => {
    await page.goto(serve.url);
    await page.getByRole('heading', { name: 'Sign in to label' }).waitFor();
    expect((await post('library.status', {})).status).toBe(401);
    expect((await post('library.status', {}, 'forged')).status).toBe(401);
  });

  it('signs in as admin and imports 30 images across 10 prompts through the dialog (pairs split)', async () => {
    await page.getByLabel('Token').fill(adminToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('Import images to start').waitFor();
    await page.getByRole('button', { name: 'Import…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Import' });
    await dialog.getByLabel('Image folder').fill(source);
    // A relative prompts path is read from the image folder; a wrong one is refused before any job starts.
    await dialog.getByLabel('Prompts file').fill('missing.csv');
    await dialog.getByRole('button', { name: 'Import', exact: true }).click();
    await dialog
      .getByText(
        /no prompts file at .*missing\.csv \(a relative prompts path is read from the image folder\)/,
      )
      .waitFor();
    await dialog.getByLabel('Prompts file').fill(basename(promptsFile));
    await dialog.getByRole('button', { name: 'Import', exact: true }).click();
    const report = dialog.getByLabel('Import report');
    await report.waitFor({ timeout: 60_000 });
    expect(await report.innerText()).toMatch(/30 records · 30 images added .* 30 comparisons/);
    await dialog.getByRole('button', { name: 'Close' }).click();
    await page.locator('.curation-grid .card').first().waitFor();
    expect(await page.locator('.curation-grid .card').count()).toBe(30);
  });

  it('labels by keyboard with a tie, a skip and two undos, and the database holds exactly that', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Compare' }).click();
    let item = await shown();
    const stored: { comparisonId: number; kind: string; chosen: number | null; shownOrder: number[] }[] = [];
    const act = async (key: string, kind: string, chosenIndex: number | null) => {
      const before = item;
      await page.keyboard.press(key);
      item = await waitForItem('not', before.comparisonId);
      stored.push({
        comparisonId: before.comparisonId,
        kind,
        chosen: chosenIndex === null ? null : before.imageIds[chosenIndex]!,
        shownOrder: before.imageIds,
      });
    };
    const undo = async (key: string) => {
      const last = stored.pop()!;
      await page.keyboard.press(key);
      item = await waitForItem('is', last.comparisonId);
      // Back to the same item, in the order it was shown.
      expect(item.imageIds).toEqual(last.shownOrder);
    };
    await act('ArrowLeft', 'choice', 0);
    await act('2', 'choice', 1);
    await act('t', 'tie', null);
    await act('s', 'skip', null);
    await act('ArrowRight', 'choice', 1);
    await undo('z');
    await undo('Control+z');
    await act('1', 'choice', 0);
    await act('b', 'both-bad', null);
    await act('ArrowRight', 'choice', 1);

    const db = await Library.open(library);
    try {
      const curator = (await db.annotators.byName('curator'))!;
      const judgments = await db.judgments.list({ annotatorId: curator.id });
      expect(
        judgments.map((j) => ({
          comparisonId: j.comparisonId,
          kind: j.kind,
          chosen: j.chosenImageId,
          shownOrder: j.shownOrder,
        })),
      ).toEqual(stored);
      expect(judgments.every((j) => j.decisionMs !== null && j.decisionMs >= 0)).toBe(true);
      expect(stored.map((s) => s.kind)).toEqual(['choice', 'choice', 'tie', 'choice', 'both-bad', 'choice']);
    } finally {
      await db.close();
    }
    await page.locator('.session-bar', { hasText: /\b6 \/ 30 labeled/ }).waitFor();
  });

  it('shows score chips only with blind mode off (admins), HPS v2.1 first', async () => {
    const db = await Library.open(library);
    try {
      for (const comparison of await db.listComparisons()) {
        for (const [k, image] of comparison.images.entries()) {
          await db.scores.set({
            modelId: 'pickscore-v1',
            imageId: image.id,
            promptId: comparison.promptId,
            score: 20 + ((image.id * 7) % 5) / 2,
            cosine: null,
          });
          await db.scores.set({
            modelId: 'hps-v2.1',
            imageId: image.id,
            promptId: comparison.promptId,
            score: 26 + ((image.id * 3 + k) % 7) / 3,
            cosine: null,
          });
        }
      }
    } finally {
      await db.close();
    }
    await page.reload();
    await shown();
    expect(await page.locator('.chip').count()).toBe(0);
    await page.getByLabel('Blind mode').uncheck();
    const first = page.locator('figure').first().locator('.chip');
    await first.first().waitFor();
    expect(await first.allInnerTexts()).toEqual([
      expect.stringMatching(/^HPS v2\.1 \d+\.\d\d$/),
      expect.stringMatching(/^PickScore/),
    ]);
    mkdirSync(SHOTS, { recursive: true });
    if (updateShots('compare.png')) await page.screenshot({ path: join(SHOTS, 'compare.png') });
    await page.mouse.move(400, 400);
    await page.mouse.wheel(0, -400);
    const transforms = await page
      .locator('.pane-view img')
      .evaluateAll((imgs) => imgs.map((i) => (i as HTMLElement).style.transform));
    expect(transforms[0]).toMatch(/scale\((?!1\))/);
    expect(new Set(transforms).size).toBe(1);
    // Kept across items, reset by a double-click.
    const skipped = await shown();
    await page.keyboard.press('s');
    await waitForItem('not', skipped.comparisonId);
    expect(
      await page
        .locator('.pane-view img')
        .first()
        .evaluate((i) => (i as HTMLElement).style.transform),
    ).toBe(transforms[0]);
    await page.locator('.pane-view').first().dblclick();
    expect(
      await page
        .locator('.pane-view img')
        .last()
        .evaluate((i) => (i as HTMLElement).style.transform),
    ).toBe('translate(0px, 0px) scale(1)');
    await page.keyboard.press('?');
    await page
      .getByRole('dialog', { name: 'Keyboard shortcuts' })
      .getByText('undo the last judgment')
      .waitFor();
    await page.keyboard.press('?');
    expect(await page.getByRole('dialog', { name: 'Keyboard shortcuts' }).count()).toBe(0);
    // Undo the skip, so the judgments the later tests count stay as they were.
    await page.keyboard.press('z');
    await waitForItem('is', skipped.comparisonId);
  });

  it('stays on the item with an error when a judgment cannot be saved, and saves it on the next try', async () => {
    const before = await shown();
    await page.route('**/api/labeling.submit', (route) => route.abort('connectionreset'));
    try {
      await page.keyboard.press('t');
      await page
        .getByRole('alert')
        .getByText(/Not saved/)
        .waitFor();
      expect((await shown()).comparisonId).toBe(before.comparisonId);
    } finally {
      // Whatever happened above, the later tests must reach the server.
      await page.unroute('**/api/labeling.submit');
    }
    await page.keyboard.press('t');
    await waitForItem('not', before.comparisonId);
    expect(await page.getByRole('alert').count()).toBe(0);
    const db = await Library.open(library);
    try {
      const curator = (await db.annotators.byName('curator'))!;
      expect(
        await db.judgments.list({ comparisonId: before.comparisonId, annotatorId: curator.id }),
      ).toMatchObject([{ kind: 'tie' }]);
    } finally {
      await db.close();
    }
  });

  it('survives kill -9 during rapid labeling: every acknowledged judgment is stored exactly once', async () => {
    const acknowledged: string[] = [];
    let inFlight: { body: Record<string, unknown>; key: string } | null = null;
    for (let n = 0; n < 12; n++) {
      const next = (await (await post('labeling.next', {}, annotatorToken)).json()) as {
        item: { comparisonId: number; shownOrder: number[] };
      };
      const key = `crash-${n}-${Math.random().toString(36).slice(2)}`;
      const body = {
        comparisonId: next.item.comparisonId,
        kind: 'choice',
        chosenImageId: next.item.shownOrder[n % 2],
        shownOrder: next.item.shownOrder,
        decisionMs: 100 + n,
        idempotencyKey: key,
      };
      if (n === 11) {
        // The last one is in flight when the server dies: it may or may not have been committed.
        inFlight = { body, key };
        void post('labeling.submit', body, annotatorToken).catch(() => undefined);
        serve.child.kill('SIGKILL');
        break;
      }
      const res = await post('labeling.submit', body, annotatorToken);
      expect(res.status).toBe(200);
      acknowledged.push(key);
    }
    await new Promise((r) => serve.child.once('exit', r));
    serve = await startServe(library);
    // The client retries the unacknowledged one with the same key: stored once whether or not it got in.
    const retry = await post('labeling.submit', inFlight!.body, annotatorToken);
    expect(retry.status).toBe(200);
    const db = await Library.open(library);
    try {
      const annie = (await db.annotators.byName('annie'))!;
      const judgments = await db.judgments.list({ annotatorId: annie.id });
      for (const key of [...acknowledged, inFlight!.key]) {
        expect(
          judgments.filter((j) => j.idempotencyKey === key),
          key,
        ).toHaveLength(1);
      }
      expect(judgments).toHaveLength(12);
      expect(new Set(judgments.map((j) => j.comparisonId)).size).toBe(12);
    } finally {
      await db.close();
    }
  });

  it('answers 401 on the WebSocket without a valid token and 403 to an annotator importing, exporting or deleting', async () => {
    const upgrade = (query: string) =>
      new Promise<number>((resolve, reject) => {
        const req = request(`${serve.url}api/events${query}`, {
          headers: {
            connection: 'Upgrade',
            upgrade: 'websocket',
            'sec-websocket-version': '13',
            'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
          },
        });
        req.on('response', (res) => resolve(res.statusCode ?? 0));
        req.on('upgrade', (res, socket) => (socket.destroy(), resolve(res.statusCode ?? 0)));
        req.on('error', reject);
        req.end();
      });
    expect(await upgrade('')).toBe(401);
    expect(await upgrade('?token=forged')).toBe(401);
    expect(await upgrade(`?token=${annotatorToken}`)).toBe(101);
    for (const [call, body] of [
      ['library.import', { format: 'folder', folder: source, prompts: promptsFile }],
      ['library.export', { format: 'pairs-jsonl', out: join(tmp, 'x.jsonl') }],
      ['library.delete', { comparisonIds: [1] }],
      ['annotators.add', { name: 'mallory', role: 'admin' }],
    ] as const) {
      expect((await post(call, body, annotatorToken)).status, call).toBe(403);
      expect((await post(call, body)).status, call).toBe(401);
    }
  });

  it('shows the curation grid and the Evaluate view (screenshots for the README)', async () => {
    // A second and third rater on the same items give the agreement figures something to measure.
    const db = await Library.open(library);
    try {
      const raters = [
        await db.annotators.ensureImported('rater-b'),
        await db.annotators.ensureImported('rater-c'),
      ];
      for (const [i, comparison] of (await db.listComparisons()).entries()) {
        const [a, b] = comparison.images;
        for (const [r, rater] of raters.entries()) {
          const pickA = (i + r) % 3 !== 0;
          await db.submitJudgment({
            comparisonId: comparison.id,
            annotatorId: rater.id,
            kind: 'choice',
            chosenImageId: pickA ? a!.id : b!.id,
            shownOrder: r ? [b!.id, a!.id] : [a!.id, b!.id],
            decisionMs: 900 + 40 * i,
            idempotencyKey: `seed-${r}-${comparison.id}`,
          });
        }
      }
    } finally {
      await db.close();
    }
    // The restarted server listens on another port (another origin): sign in again through ?token=.
    await page.goto(`${serve.url}?token=${adminToken}#/library`);
    await page.locator('.curation-grid .card').first().waitFor();
    await page.locator('.curation-grid .card').nth(1).click();
    await page
      .locator('.curation-grid .card')
      .nth(3)
      .click({ modifiers: ['Shift'] });
    await expect(page.getByRole('toolbar', { name: 'Selection' }).innerText()).resolves.toMatch(/3 selected/);
    await page.getByLabel('Tag name').fill('landscape');
    await page.getByRole('button', { name: 'Tag', exact: true }).click();
    await page.locator('.badge.tag').first().waitFor();
    expect(await page.locator('.badge.tag').count()).toBe(3);
    const firstCard = page.locator('.curation-grid .card').first();
    await firstCard.click();
    await page.getByLabel('Gold image').selectOption({ label: 'Gold: image 2' });
    await firstCard.locator('.badge', { hasText: 'gold' }).waitFor();
    const check = await Library.open(library);
    try {
      const [comparison] = await check.listComparisons({ limit: 1 });
      expect(comparison!.goldImageId).toBe(comparison!.images[1]!.id);
    } finally {
      await check.close();
    }
    await page.waitForFunction(() =>
      [...document.querySelectorAll('.curation-grid img')].every((i) => (i as HTMLImageElement).complete),
    );
    if (updateShots('library.png')) await page.screenshot({ path: join(SHOTS, 'library.png') });

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Evaluate' }).click();
    const table = page.getByRole('table', { name: 'Metric accuracy' });
    await table.waitFor();
    const rows = await table.locator('tbody tr').allInnerTexts();
    expect(rows[0]).toMatch(/^HPS v2\.1/);
    expect(rows).toHaveLength(2);
    await page.getByRole('table', { name: 'Annotators' }).getByText('rater-b').waitFor();
    await page.locator('.recharts-bar-rectangle').first().waitFor();
    if (updateShots('evaluate.png'))
      await page.screenshot({ path: join(SHOTS, 'evaluate.png'), fullPage: true });
  });

  it('judges N-way items by picking the best (1–9) or ordering them all (O, then 1–9)', async () => {
    const groupSource = join(tmp, 'nway');
    const groupPrompts = await writeImageFolder(groupSource, 2, 4);
    const started = (await (
      await post(
        'library.import',
        { format: 'folder', folder: groupSource, prompts: groupPrompts, split: 'group' },
        adminToken,
      )
    ).json()) as { jobId: string };
    await expect
      .poll(
        async () =>
          ((await (await post('library.importReport', started, adminToken)).json()) as { report: unknown })
            .report,
      )
      .toBeTruthy();
    // Every pair is labeled by now, so only the two 4-way items are open.
    await page.goto(`${serve.url}?token=${adminToken}#/compare`);
    await page.locator('.stage[data-count="4"]').waitFor();
    const first = await shown();
    await page.keyboard.press('3');
    const second = await waitForItem('not', first.comparisonId);
    await page.keyboard.press('o');
    await page.keyboard.press('2');
    await page.keyboard.press('4');
    await page.locator('.pane-rank').nth(1).waitFor();
    await page.keyboard.press('1');
    await page.getByText('All done').waitFor();
    const db = await Library.open(library);
    try {
      const curator = (await db.annotators.byName('curator'))!;
      const byComparison = new Map(
        (await db.judgments.list({ annotatorId: curator.id })).map((j) => [j.comparisonId, j]),
      );
      expect(byComparison.get(first.comparisonId)).toMatchObject({
        kind: 'choice',
        chosenImageId: first.imageIds[2],
        shownOrder: first.imageIds,
      });
      const [a, b, c, d] = second.imageIds;
      expect(byComparison.get(second.comparisonId)).toMatchObject({
        kind: 'ranking',
        ranking: [b, d, a, c],
        shownOrder: second.imageIds,
      });
    } finally {
      await db.close();
    }
  });

  it('shows an annotator only Library and Compare, and serves the active-learning queue first with its badge', async () => {
    const db = await Library.open(library);
    let queued: number[];
    try {
      const annie = (await db.annotators.byName('annie'))!;
      const judged = new Set((await db.judgments.list({ annotatorId: annie.id })).map((j) => j.comparisonId));
      const open = (await db.listComparisons()).filter((c) => !judged.has(c.id) && !c.excluded);
      queued = open
        .slice(-2)
        .map((c) => c.id)
        .reverse();
    } finally {
      await db.close();
    }
    expect(queued).toHaveLength(2);
    // k = 3: the items the curator already labeled stay open for annie.
    expect((await post('labeling.setSettings', { overlap: 3, goldRate: 0 }, adminToken)).status).toBe(200);
    const body = { comparisonIds: queued, source: 'uncertainty' };
    expect((await post('labeling.setQueue', body, annotatorToken)).status).toBe(403);
    expect((await post('labeling.setQueue', body, adminToken)).status).toBe(200);
    try {
      await page.goto(`${serve.url}?token=${annotatorToken}#/train`);
      const nav = page.getByRole('navigation', { name: 'Main' });
      // Annotators may call library.status and labeling.* only: Library (sign out) and Compare.
      await expect.poll(() => nav.getByRole('link').count()).toBe(2);
      for (const label of ['Library', 'Compare'])
        await expect(nav.getByRole('link', { name: label }).count()).resolves.toBe(1);
      // An admin route falls back to the first view open to them.
      await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Library');

      await nav.getByRole('link', { name: 'Compare' }).click();
      await waitForItem('is', queued[0]!);
      const badge = page.getByLabel('Active-learning queue');
      await expect.poll(() => badge.textContent()).toBe('active-learning queue: 2 left');
      await page.keyboard.press('t');
      await waitForItem('is', queued[1]!);
      await expect.poll(() => badge.textContent()).toBe('active-learning queue: 1 left');
    } finally {
      await post('labeling.clearQueue', {}, adminToken);
      await post('labeling.setSettings', { overlap: 1, goldRate: 0 }, adminToken);
    }
  });

  it('ran without console errors', () => {
    expect(consoleErrors).toEqual([]);
  });
});
