// `serve` builds the UI once where dist/renderer/ is missing (a checkout whose build was deleted).
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureRendererBuilt } from '../../main/cli/serve/renderer-build';

const base = mkdtempSync(join(tmpdir(), 'hps-ui-build-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

describe('the UI build on first serve', () => {
  it('builds a missing UI into place once, and leaves a built one alone', () => {
    const out = join(base, 'renderer');
    const lines: string[] = [];
    expect(ensureRendererBuilt(out, (l) => lines.push(l))).toEqual({ ready: true, built: true });
    expect(lines).toEqual([`Building the UI once into ${out} …`]);
    expect(existsSync(join(out, 'index.html'))).toBe(true);
    // No staging folder is left behind.
    expect(readdirSync(base)).toEqual(['renderer']);
    expect(ensureRendererBuilt(out, (l) => lines.push(l))).toEqual({ ready: true, built: false });
    expect(lines).toHaveLength(1);
  });
});
