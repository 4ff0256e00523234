// Run history: one JSON file per training run (settings, status, losses summary, output), rewritten
// atomically as the run progresses so a crashed run still shows its last state.
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { LoraTrainingConfig } from './config';

export interface TrainingRunRecord {
  id: string;
  status: 'running' | 'completed' | 'cancelled' | 'failed';
  config: LoraTrainingConfig;
  startedAt: string;
  updatedAt: string;
  step: number;
  totalSteps: number;
  resumedFrom?: number;
  /** Mean loss of the first and of the last (up to) 10 steps. */
  firstLoss?: number;
  lastLoss?: number;
  evaluation?: { before: number; after: number };
  output?: string;
  error?: string;
}

export async function writeRunRecord(dir: string, record: TrainingRunRecord): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `${record.id}.json`);
  const partial = `${file}.${process.pid}.partial`;
  await writeFile(partial, JSON.stringify({ ...record, updatedAt: new Date().toISOString() }, null, 1));
  await rename(partial, file);
  return file;
}

/** Every run recorded in `dir`, newest first. */
export async function listTrainingRuns(dir: string): Promise<TrainingRunRecord[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const records: TrainingRunRecord[] = [];
  for (const name of names.filter((n) => n.endsWith('.json'))) {
    try {
      records.push(JSON.parse(await readFile(path.join(dir, name), 'utf8')) as TrainingRunRecord);
    } catch {
      // A record being replaced or damaged is left out rather than failing the listing.
    }
  }
  return records.sort((a, b) => b.startedAt.localeCompare(a.startedAt));
}

export function meanOf(values: readonly number[]): number | undefined {
  return values.length === 0 ? undefined : values.reduce((a, b) => a + b, 0) / values.length;
}
