import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { Library } from '../../main/services/library';
import type { SqliteDatabase } from '../../main/services/library/sql/sqlite';
import { makePng, tempDir } from './helpers';

const child = fileURLToPath(new URL('./crash-child.ts', import.meta.url));
const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((cleanup) => cleanup()));

/** Runs the child until it has acknowledged `acks` judgments, then SIGKILLs it; resolves with the acked keys. */
function labelUntilKilled(
  dir: string,
  annotatorId: number,
  acks: number,
): Promise<{ keys: string[]; signal: string | null }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', child, dir, String(annotatorId)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keys: string[] = [];
    let buffer = '';
    let stderr = '';
    proc.stderr.on('data', (data: Buffer) => (stderr += data.toString()));
    proc.stdout.on('data', (data: Buffer) => {
      buffer += data.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop()!;
      keys.push(...lines.filter((line) => line !== 'done'));
      if (keys.length >= acks && proc.exitCode === null) proc.kill('SIGKILL');
    });
    proc.on('error', reject);
    proc.on('close', (code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`child ended with code ${code} before the kill: ${stderr}`));
      else resolve({ keys, signal });
    });
  });
}

describe('crash durability', () => {
  it('every judgment acknowledged before a SIGKILL is present exactly once after reopening', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const lib = await Library.open(dir);
    const a = (await lib.addImage(await makePng(1))).image.id;
    const b = (await lib.addImage(await makePng(2))).image.id;
    await lib.transaction(async (tx) => {
      for (let i = 0; i < 3000; i++) await tx.addComparison({ prompt: `prompt ${i}`, imageIds: [a, b] });
    });
    const annotator = (await lib.annotators.create('fast')).annotator;
    await lib.close();

    const { keys, signal } = await labelUntilKilled(dir, annotator.id, 300);
    expect(signal).toBe('SIGKILL');
    expect(keys.length).toBeGreaterThanOrEqual(300);

    const reopened = await Library.open(dir);
    const connection = (reopened.db as SqliteDatabase).connection;
    expect(connection.pragma('integrity_check', { simple: true })).toBe('ok');
    const count = connection.prepare('SELECT COUNT(*) AS n FROM judgments WHERE idempotency_key = ?');
    const missing = keys.filter((key) => (count.get(key) as { n: number }).n !== 1);
    expect(missing).toEqual([]);
    const stored = (await reopened.stats()).judgments;
    // At most one more than acknowledged: the one committed while its acknowledgement was being written.
    expect(stored - keys.length).toBeGreaterThanOrEqual(0);
    expect(stored - keys.length).toBeLessThanOrEqual(1);
    // A client retrying its acknowledged submits after the crash changes nothing.
    for (const key of keys.slice(-20)) {
      const judgment = (await reopened.judgments.byKey(key))!;
      const retry = await reopened.judgments.submit({ ...judgment, idempotencyKey: key });
      expect(retry).toEqual({ judgment, duplicate: true });
    }
    expect((await reopened.stats()).judgments).toBe(stored);
    await reopened.close();
  });
});
