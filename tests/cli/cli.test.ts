import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI_BIN, REPO_ROOT, runCli } from './run-cli';

const cli = (...args: string[]) => runCli(args, { timeoutMs: 120_000 });

const tmp = mkdtempSync(join(tmpdir(), 'hps-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('hps-studio CLI', () => {
  it('--help lists every command with examples', async () => {
    const { code, stdout } = await cli('--help');
    expect(code).toBe(0);
    expect(stdout).toMatch(/serve \[options\]/);
    expect(stdout).toMatch(/doctor \[options\]/);
    expect(stdout).toMatch(/Examples:/);
  });

  it.each(['serve', 'doctor'])('%s --help shows its options and examples', async (command) => {
    const { code, stdout } = await cli(command, '--help');
    expect(code).toBe(0);
    expect(stdout).toContain(`Usage: hps-studio ${command}`);
    expect(stdout).toMatch(new RegExp(`Examples:\\n\\s+\\$ hps-studio ${command}`));
  });

  it('doctor prints versions and ok for cpu and webgpu', async () => {
    const { code, stdout } = await cli('doctor');
    expect(code).toBe(0);
    expect(stdout).toContain(`Node         ${process.versions.node}`);
    expect(stdout).toMatch(/onnxruntime\s+\d+\.\d+\.\d+/);
    expect(stdout).toMatch(/^ {2}cpu: ok/m);
    expect(stdout).toMatch(/^ {2}webgpu: ok/m);
    for (const ep of ['cuda', 'dml', 'coreml'])
      expect(stdout).toMatch(new RegExp(`^  ${ep}: (ok|unavailable — .+)`, 'm'));
  });

  it('rejects bad arguments with one clear message and no stack trace', async () => {
    const badPort = await cli('serve', '--library', tmp, '--port', 'seventy');
    expect(badPort.code).toBe(1);
    expect(badPort.stderr).toMatch(/port.*expected a port number/);
    const emptyLibrary = await cli('serve', '--library', ' ');
    expect(emptyLibrary.code).toBe(1);
    expect(emptyLibrary.stderr).toMatch(/--library <dir>.*must not be empty/);
    const unknown = await cli('frobnicate');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/unknown command 'frobnicate'/);
    const badLibrary = await cli('serve', '--library', '/dev/null/library');
    expect(badLibrary.code).toBe(1);
    expect(badLibrary.stderr).toMatch(/cannot create the library folder/);
    for (const r of [badPort, emptyLibrary, unknown, badLibrary]) expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it.each([
    ['--library', ['--library', join(tmp, 'new-library')], join(tmp, 'new-library')],
    [
      'no --library (library/ in the data folder)',
      ['--data', join(tmp, 'data')],
      join(tmp, 'data', 'library'),
    ],
  ])(
    'serve with %s creates the library folder, prints the URL and answers API calls',
    async (_, args, library) => {
      const child = spawn(process.execPath, [CLI_BIN, 'serve', ...args, '--port', '0'], {
        cwd: REPO_ROOT,
      });
      try {
        const url = await new Promise<string>((resolve, reject) => {
          let out = '';
          child.stdout.on('data', (d: Buffer) => {
            out += d.toString();
            const m = /Open (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
            if (m) resolve(m[1]!);
          });
          child.on('exit', (code) => reject(new Error(`serve exited with ${code}`)));
        });
        expect(existsSync(library)).toBe(true);
        const res = await fetch(`${url}api/system.info`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{}',
        });
        expect(await res.json()).toMatchObject({ mode: 'serve', libraryDir: library });
      } finally {
        child.kill('SIGTERM');
      }
    },
  );
});
