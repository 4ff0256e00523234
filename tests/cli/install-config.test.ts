// The README's two commands work with no environment variables because the repository configures them:
// npm reads .npmrc's onnxruntime-node setting, install builds the UI, and CI runs exactly those commands.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './run-cli';

const npmConfig = (key: string, env: NodeJS.ProcessEnv) =>
  execFileSync('npm', ['config', 'get', key], { cwd: REPO_ROOT, env, encoding: 'utf8' }).trim();

describe('install configuration', () => {
  it('npm reads the project .npmrc: onnxruntime-node skips its CUDA download unless asked', () => {
    const env = { ...process.env };
    for (const key of Object.keys(env)) if (/onnxruntime/i.test(key)) delete env[key];
    expect(npmConfig('onnxruntime-node-install', env)).toBe('skip');
  });

  it('npm install builds the UI (prepare), and CI runs exactly the README commands without variables', () => {
    const pkg = JSON.parse(readFileSync(`${REPO_ROOT}/package.json`, 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts.prepare).toMatch(/^vite build --config renderer\/vite\.config\.ts/);
    const ci = readFileSync(`${REPO_ROOT}/.ci/run`, 'utf8');
    const commands = ci.split('\n').filter((l) => /^\s*(npm|export|[A-Z_]+=)/.test(l));
    expect(commands.map((l) => l.trim().split(/\s+/).slice(0, 2).join(' '))).toEqual([
      'npm install',
      'npm test',
    ]);
    expect(ci).not.toMatch(/ELECTRON_SKIP_BINARY_DOWNLOAD|ONNXRUNTIME_NODE_INSTALL/);
    const readme = readFileSync(`${REPO_ROOT}/README.md`, 'utf8');
    expect(readme).toContain('npm install && npm start');
    expect(readme).toContain('npm install && npm test');
  });
});
