// The library's labeling policy (overlap k, gold rate), kept beside the database as labeling.json so every
// annotator is served under the same rules whatever their client sends.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { LabelingSettingsSchema } from '../../contract';

export type LabelingSettings = z.infer<typeof LabelingSettingsSchema>;

const DEFAULTS: LabelingSettings = { overlap: 1, goldRate: 0 };
const FILE = 'labeling.json';

export function readLabelingSettings(libraryDir: string): LabelingSettings {
  const file = path.join(libraryDir, FILE);
  if (!existsSync(file)) return DEFAULTS;
  const parsed = LabelingSettingsSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) throw new Error(`${file} is not valid: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

export function writeLabelingSettings(libraryDir: string, settings: LabelingSettings): LabelingSettings {
  const file = path.join(libraryDir, FILE);
  // Write-then-rename: a crash leaves the old file or the new one, never half of one.
  writeFileSync(`${file}.tmp`, `${JSON.stringify(settings, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
  return settings;
}
