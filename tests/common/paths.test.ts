import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isWithin, resolveInsideRoot } from '../../main/common/paths';

let base: string;
let root: string;

beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'hps-paths-'));
  root = join(base, 'library');
  mkdirSync(join(root, 'images', 'sub'), { recursive: true });
  writeFileSync(join(root, 'images', 'a.png'), 'a');
  writeFileSync(join(root, 'images', 'sub', 'with space.png'), 'b');
  writeFileSync(join(root, '%2e%2e'), 'literal name');
  writeFileSync(join(base, 'secret.txt'), 'outside');
  mkdirSync(join(base, 'library-evil'));
  writeFileSync(join(base, 'library-evil', 'x.png'), 'sibling');
  symlinkSync(join(base, 'secret.txt'), join(root, 'images', 'escape.png'));
  symlinkSync(base, join(root, 'up'));
  symlinkSync(join(root, 'images', 'a.png'), join(root, 'images', 'inner-link.png'));
});

afterAll(() => rmSync(base, { recursive: true, force: true }));

const refused = (p: string) => {
  const r = resolveInsideRoot(root, p);
  expect(r.ok, `${p} should be refused`).toBe(false);
  return r.ok ? '' : r.reason;
};

describe('resolveInsideRoot', () => {
  it('resolves files inside the library to their real path', () => {
    expect(resolveInsideRoot(root, 'images/a.png')).toMatchObject({ ok: true });
    const r = resolveInsideRoot(root, 'images/sub/with%20space.png');
    expect(r.ok && r.path.endsWith(join('sub', 'with space.png'))).toBe(true);
  });

  it('follows symlinks that stay inside the library', () => {
    const r = resolveInsideRoot(root, 'images/inner-link.png');
    expect(r.ok && r.path.endsWith(join('images', 'a.png'))).toBe(true);
  });

  it('refuses .. segments', () => {
    expect(refused('../secret.txt')).toMatch(/relative segment/);
    expect(refused('images/../../secret.txt')).toMatch(/relative segment/);
    expect(refused('images/./a.png')).toMatch(/relative segment/);
  });

  it('refuses percent-encoded traversal, in any case', () => {
    expect(refused('%2e%2e/secret.txt')).toMatch(/relative segment/);
    expect(refused('%2E%2E/secret.txt')).toMatch(/relative segment/);
    expect(refused('images/%2e%2e%2f%2e%2e%2fsecret.txt')).toMatch(/relative segment/);
    expect(refused('..%2fsecret.txt')).toMatch(/relative segment/);
    expect(refused('..%5csecret.txt')).toMatch(/backslash/);
  });

  it('decodes only once: a double-encoded %2e%2e is a literal file name inside the library', () => {
    const r = resolveInsideRoot(root, '%252e%252e');
    expect(r.ok && r.path.endsWith('%2e%2e')).toBe(true);
    expect(refused('%252e%252e/secret.txt')).toMatch(/not found/);
  });

  it('refuses absolute paths and drive letters', () => {
    expect(refused('/etc/passwd')).toMatch(/absolute/);
    expect(refused('%2fetc%2fpasswd')).toMatch(/absolute/);
    expect(refused(encodeURIComponent(join(base, 'secret.txt')))).toMatch(/absolute/);
    expect(refused('C:/Windows/win.ini')).toMatch(/absolute/);
  });

  it('refuses symlinks that escape the library', () => {
    expect(refused('images/escape.png')).toMatch(/leaves the library/);
    expect(refused('up/secret.txt')).toMatch(/leaves the library/);
  });

  it('refuses NUL bytes, raw or encoded', () => {
    expect(refused('images/a.png\0.txt')).toMatch(/NUL/);
    expect(refused('images/a.png%00.txt')).toMatch(/NUL/);
  });

  it('refuses malformed encoding, empty segments and missing files', () => {
    expect(refused('images/%E0%A4%A')).toMatch(/malformed/);
    expect(refused('images//a.png')).toMatch(/empty segment/);
    expect(refused('images/missing.png')).toMatch(/not found/);
  });
});

describe('isWithin', () => {
  it('does not treat a sibling with a common prefix as inside', () => {
    expect(isWithin(root, join(base, 'library-evil', 'x.png'))).toBe(false);
    expect(isWithin(root, join(root, 'images'))).toBe(true);
    expect(isWithin(root, root)).toBe(true);
    expect(isWithin(root, base)).toBe(false);
  });
});
