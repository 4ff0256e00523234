// `npm start` where Electron cannot run: it tries the binary's download once, then serves the default library
// in browser mode, prints the URL, opens the browser and serves the studio there (checked with fetch and
// Chromium), and Ctrl+C stops it cleanly.
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../e2e/browser-harness';

const root = fileURLToPath(new URL('../../', import.meta.url));
const base = mkdtempSync(join(tmpdir(), 'hps-npm-start-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

/** Starts scripts/start-desktop.mjs as `npm start` does; resolves with the URL it prints. */
function start(env: NodeJS.ProcessEnv): { child: ChildProcess; url: Promise<string>; output: () => string } {
  const child = spawn(process.execPath, ['scripts/start-desktop.mjs'], { cwd: root, env });
  let output = '';
  const url = new Promise<string>((resolve, reject) => {
    const onData = (d: Buffer) => {
      output += d.toString();
      const m = /Open (http:\/\/127\.0\.0\.1:\d+\/) in your browser/.exec(output);
      if (m) resolve(m[1]!);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`npm start exited with ${code}:\n${output}`)));
  });
  return { child, url, output: () => output };
}

/** Ctrl+C, as a user stops it; resolves with the exit status. */
function interrupt(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGINT');
  return exited;
}

describe('npm start without an Electron binary', () => {
  it('tries the download, then serves the default library in the browser and opens it', async () => {
    const noBinary = join(base, 'no-electron');
    const data = join(base, 'data');
    const opened = join(base, 'opened.txt');
    const browser = join(base, 'browser.sh');
    writeFileSync(browser, `#!/bin/sh\necho "$1" > '${opened}'\n`);
    chmodSync(browser, 0o755);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ELECTRON_OVERRIDE_DIST_PATH: noBinary,
      // A mirror that refuses at once: the download fails as it does on a machine without electronjs.org.
      ELECTRON_MIRROR: 'http://127.0.0.1:9/',
      HPS_DATA_DIR: data,
      DISPLAY: ':0',
      BROWSER: browser,
    };
    delete env.ELECTRON_SKIP_BINARY_DOWNLOAD;
    const run = start(env);
    try {
      const url = await run.url;
      expect(run.output()).toMatch(/Downloading the Electron binary/);
      expect(run.output()).toMatch(
        /The Electron binary is missing: its download failed \(.+\), so the studio runs in your browser instead/,
      );
      const page = await fetch(url);
      expect(page.status).toBe(200);
      expect(await page.text()).toMatch(/<div id="root">/);
      const info = (await (
        await fetch(`${url}api/system.info`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{}',
        })
      ).json()) as { mode: string; libraryDir: string };
      expect(info).toMatchObject({ mode: 'serve', libraryDir: join(data, 'library') });
      await expect
        .poll(() => existsSync(opened) && readFileSync(opened, 'utf8').trim(), { timeout: 10_000 })
        .toBe(url);

      const chromium = await launchChromium();
      try {
        const tab = await chromium.newPage();
        await tab.goto(url);
        await tab.getByRole('heading', { level: 1, name: 'Library' }).waitFor();
      } finally {
        await chromium.close();
      }
    } finally {
      expect(await interrupt(run.child)).toBe(0);
      expect(run.output()).toMatch(/Stopped\./);
    }
  });

  it('skips the download when ELECTRON_SKIP_BINARY_DOWNLOAD is set and says so', async () => {
    const run = start({
      ...process.env,
      ELECTRON_OVERRIDE_DIST_PATH: join(base, 'no-electron'),
      ELECTRON_SKIP_BINARY_DOWNLOAD: '1',
      HPS_DATA_DIR: join(base, 'data-2'),
      BROWSER: 'none',
    });
    try {
      await run.url;
      expect(run.output()).not.toMatch(/Downloading/);
      expect(run.output()).toMatch(
        /ELECTRON_SKIP_BINARY_DOWNLOAD is set, so the studio runs in your browser/,
      );
      // Printed after the URL: wait for it rather than race the child's next write.
      await expect.poll(() => run.output()).toMatch(/Not opening a browser: BROWSER=none/);
    } finally {
      await interrupt(run.child);
    }
  });
});
