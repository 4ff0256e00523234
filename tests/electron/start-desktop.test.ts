import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));

describe('npm start without an Electron binary', () => {
  it('prints one sentence naming browser mode and exits non-zero, without a stack trace', () => {
    const empty = mkdtempSync(join(tmpdir(), 'hps-no-electron-'));
    try {
      // Point Electron's dist lookup at an empty folder: the binary is missing whether or not this machine has one.
      const r = spawnSync(process.execPath, ['scripts/start-desktop.mjs'], {
        cwd: root,
        encoding: 'utf8',
        env: { ...process.env, ELECTRON_OVERRIDE_DIST_PATH: empty },
      });
      expect(r.status).toBe(1);
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/Electron binary is missing/);
      expect(lines[0]).toContain('npx hps-studio serve --library <dir>');
      expect(r.stdout).toBe('');
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
