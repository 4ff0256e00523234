// Export → import through the API calls (jobs, reports) into an empty library keeps every judgment.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, expect, it } from 'vitest';
import { createApi, createApp, OWNER, type Api } from '../../main/api';
import type { Library } from '../../main/services/library';

const dir = mkdtempSync(join(tmpdir(), 'hps-api-roundtrip-'));
const opened: Api[] = [];
afterAll(async () => {
  for (const api of opened) await api.app.close();
  rmSync(dir, { recursive: true, force: true });
});

async function apiFor(libraryDir: string): Promise<Api> {
  const api = createApi(
    await createApp({ libraryDir, info: { version: 'test', mode: 'serve', electron: null } }),
  );
  opened.push(api);
  return api;
}

async function runImport(api: Api, request: unknown) {
  const { jobId } = (await api.call('library.import', request, OWNER)) as { jobId: string };
  for (;;) {
    const outcome = (await api.call('library.importReport', { jobId }, OWNER)) as {
      report: { errors: unknown[]; judgmentsAdded: number } | null;
      error: string | null;
    };
    if (outcome.error) throw new Error(outcome.error);
    if (outcome.report) return outcome.report;
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Judgments keyed by content: image hashes instead of ids, which differ between libraries. */
async function judgmentsByContent(library: Library) {
  const hash = new Map((await library.listImages()).map((i) => [i.id, i.hash]));
  const name = new Map((await library.annotators.list()).map((a) => [a.id, a.name]));
  const judgments = [];
  for (const j of await library.judgments.list()) {
    judgments.push({
      prompt: (await library.getComparison(j.comparisonId))!.prompt,
      annotator: name.get(j.annotatorId),
      kind: j.kind,
      chosen: j.chosenImageId === null ? null : hash.get(j.chosenImageId),
      shown: j.shownOrder.map((id) => hash.get(id)),
      ms: j.decisionMs,
    });
  }
  return judgments.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

it('exports pairs JSONL and re-imports it into an empty library with the same judgments', async () => {
  const source = join(dir, 'src');
  mkdirSync(source, { recursive: true });
  const rows = ['image,prompt'];
  for (let i = 0; i < 6; i++) {
    const png = await sharp({
      create: { width: 8, height: 8, channels: 3, background: { r: i * 40, g: 9, b: 9 } },
    })
      .png()
      .toBuffer();
    writeFileSync(join(source, `${i}.png`), png);
    rows.push(`${i}.png,prompt ${Math.floor(i / 3)}`);
  }
  writeFileSync(join(source, 'prompts.csv'), rows.join('\n'));
  const a = await apiFor(join(dir, 'a'));
  await runImport(a, {
    format: 'folder',
    folder: source,
    prompts: join(source, 'prompts.csv'),
    split: 'pairs',
  });
  const kinds = ['choice', 'tie', 'both-bad', 'skip', 'choice', 'choice'] as const;
  for (const [n, kind] of kinds.entries()) {
    const { item } = (await a.call('labeling.next', {}, OWNER)) as {
      item: { comparisonId: number; shownOrder: number[] };
    };
    await a.call(
      'labeling.submit',
      {
        comparisonId: item.comparisonId,
        kind,
        chosenImageId: kind === 'choice' ? item.shownOrder[n % 2] : null,
        shownOrder: item.shownOrder,
        decisionMs: 500 + n,
        idempotencyKey: `roundtrip-${n}`,
      },
      OWNER,
    );
  }
  const out = join(dir, 'export', 'pairs.jsonl');
  const exported = (await a.call('library.export', { format: 'pairs-jsonl', out }, OWNER)) as {
    records: number;
  };
  expect(exported.records).toBeGreaterThanOrEqual(6);

  const b = await apiFor(join(dir, 'b'));
  const report = await runImport(b, { format: 'pairs', file: out });
  expect(report.errors).toEqual([]);
  expect(report.judgmentsAdded).toBe(6);
  expect(await judgmentsByContent(b.app.library)).toEqual(await judgmentsByContent(a.app.library));
});
