// The layering of ../shared/docs/architecture.md, checked on every import in the source tree:
//   common, contract ← engine ← checkpoints/tokenizer/image ← models ← services ← app ← api ← server/cli
// (app/ is the composition root that owns all state; nothing in main/ keeps mutable state at module level, and
// api/handlers are one-line calls into it).
// main/ may also read the model catalog (models/, data only). main/ never imports 'electron'; the contract (zod
// schemas, errors, and in contract/names.ts the name lists every layer shares) imports nothing of the product,
// so it is the bottom floor every layer may import (the engine only its name lists); the renderer reaches main/
// only through main/contract and main/contract/bridge; electron/ uses main/ at run time only through the contract
// and common (the engine host loads main/api dynamically, inside the utility process).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../', import.meta.url));

/** Layer rank of each folder under main/: a file may import main/ folders of equal or lower rank. */
const MAIN_LAYERS: Record<string, number> = {
  common: 0,
  contract: 0,
  engine: 1,
  checkpoints: 2,
  tokenizer: 2,
  image: 2,
  models: 3,
  services: 4,
  app: 5,
  api: 6,
  server: 7,
  cli: 7,
};

interface Import {
  file: string;
  specifier: string;
  typeOnly: boolean;
}

function sourceFiles(dir: string): string[] {
  const abs = join(root, dir);
  let entries: string[];
  try {
    entries = readdirSync(abs);
  } catch {
    return [];
  }
  return entries.flatMap((name) => {
    const rel = join(dir, name);
    if (statSync(join(root, rel)).isDirectory()) return sourceFiles(rel);
    return /\.(ts|tsx|mts|cts|js|mjs|cjs)$/.test(name) && !name.endsWith('.d.ts') ? [rel] : [];
  });
}

function importsOf(file: string): Import[] {
  const text = readFileSync(join(root, file), 'utf8');
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: Import[] = [];
  const visit = (node: ts.Node) => {
    if (
      (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      const typeOnly = ts.isImportDeclaration(node) ? !!node.importClause?.isTypeOnly : node.isTypeOnly;
      found.push({ file, specifier: node.moduleSpecifier.text, typeOnly });
    } else if (
      ts.isCallExpression(node) &&
      node.arguments.length > 0 &&
      ts.isStringLiteral(node.arguments[0]!)
    ) {
      const isImport = node.expression.kind === ts.SyntaxKind.ImportKeyword;
      const isRequire = ts.isIdentifier(node.expression) && node.expression.text === 'require';
      if (isImport || isRequire)
        found.push({ file, specifier: (node.arguments[0] as ts.StringLiteral).text, typeOnly: false });
    } else if (
      ts.isImportTypeNode(node) &&
      ts.isLiteralTypeNode(node.argument) &&
      ts.isStringLiteral(node.argument.literal)
    ) {
      found.push({ file, specifier: node.argument.literal.text, typeOnly: true });
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

/** Repo-relative path of a relative import, or null for packages and builtins. */
function target(imp: Import): string | null {
  if (!imp.specifier.startsWith('.')) return null;
  return relative(root, resolve(root, dirname(imp.file), imp.specifier))
    .split('\\')
    .join('/');
}

const mainFolder = (path: string) => (path.startsWith('main/') ? path.split('/')[1]! : null);
const describeImport = (imp: Import) => `${imp.file} imports '${imp.specifier}'`;

const mainImports = sourceFiles('main').flatMap(importsOf);
const rendererImports = sourceFiles('renderer/src').flatMap(importsOf);
const electronImports = sourceFiles('electron').flatMap(importsOf);

/**
 * Top-level declarations of a main/ file that can hold state: `let`/`var`, or a const Map/Set/WeakMap not typed
 * Readonly (a lookup table says so in its type).
 */
function moduleState(file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8');
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const collection = (d: ts.VariableDeclaration) =>
    d.initializer !== undefined &&
    /^new (Map|Set|WeakMap|WeakSet)\b/.test(d.initializer.getText(sf)) &&
    !d.type?.getText(sf).startsWith('Readonly');
  return sf.statements.filter(ts.isVariableStatement).flatMap((statement) => {
    const mutable = !(statement.declarationList.flags & ts.NodeFlags.Const);
    return statement.declarationList.declarations
      .filter((d) => mutable || collection(d))
      .map((d) => `${file}: ${d.name.getText(sf)}`);
  });
}

/** Top-level statements of a handlers file other than imports, type declarations and its exported map. */
function handlerFileExtras(file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8');
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  return sf.statements
    .filter((st) => !ts.isImportDeclaration(st) && !ts.isExportDeclaration(st))
    .filter((st) => !ts.isTypeAliasDeclaration(st) && !ts.isInterfaceDeclaration(st))
    .filter((st) => {
      if (!ts.isVariableStatement(st)) return true;
      const exported = st.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
      return !(
        exported && st.declarationList.declarations.every((d) => /Handlers$/.test(d.name.getText(sf)))
      );
    })
    .map((st) => `${file}: ${st.getText(sf).split('\n')[0]}`);
}

describe('architecture', () => {
  it('finds the source tree (the scan itself works)', () => {
    expect(mainImports.length).toBeGreaterThan(20);
    expect(rendererImports.some((i) => i.specifier.endsWith('main/contract'))).toBe(true);
    expect(electronImports.some((i) => i.specifier === 'electron')).toBe(true);
  });

  it('puts every main/ folder in a known layer', () => {
    const folders = [...new Set(sourceFiles('main').map((f) => mainFolder(f)!))];
    expect(
      folders.filter((f) => !(f in MAIN_LAYERS)),
      'add new main/ folders to MAIN_LAYERS',
    ).toEqual([]);
  });

  it('main/ never imports electron', () => {
    expect(
      mainImports
        .filter((i) => i.specifier === 'electron' || i.specifier.startsWith('electron/'))
        .map(describeImport),
    ).toEqual([]);
  });

  it('main/ layers import only their own or lower layers', () => {
    const violations = mainImports.flatMap((imp) => {
      const to = target(imp);
      const from = mainFolder(imp.file)!;
      if (!to) return [];
      const toFolder = mainFolder(to);
      // The model catalog (models/, data only) is the one thing outside main/ that main/ may read.
      if (!toFolder) return to.startsWith('models/') ? [] : [`${describeImport(imp)} (outside main/)`];
      return (MAIN_LAYERS[toFolder] ?? 99) > (MAIN_LAYERS[from] ?? -1)
        ? [`${describeImport(imp)} (${from} → ${toFolder})`]
        : [];
    });
    expect(violations).toEqual([]);
  });

  it('the engine imports nothing above it (only common/ and the contract’s name lists)', () => {
    const below = ['main/engine/', 'main/common/', 'main/contract/names'];
    const up = mainImports
      .filter((i) => i.file.startsWith('main/engine/'))
      .filter((i) => {
        const to = target(i);
        return to !== null && !below.some((prefix) => to.startsWith(prefix));
      });
    expect(up.map(describeImport)).toEqual([]);
  });

  it('the contract imports nothing of the product (zod and its own files only)', () => {
    const bad = mainImports
      .filter((i) => i.file.startsWith('main/contract/'))
      .filter((i) => {
        const to = target(i);
        return to === null ? i.specifier !== 'zod' : !to.startsWith('main/contract');
      });
    expect(bad.map(describeImport)).toEqual([]);
  });

  it('the renderer imports only main/contract and main/contract/bridge from main/, and no Node or Electron', () => {
    const bad = rendererImports.filter((imp) => {
      if (imp.specifier === 'electron' || imp.specifier.startsWith('node:')) return true;
      const to = target(imp);
      if (!to || !to.startsWith('main/')) return to !== null && !to.startsWith('renderer/');
      return to !== 'main/contract' && to !== 'main/contract/bridge';
    });
    expect(bad.map(describeImport)).toEqual([]);
  });

  it('the Electron shell loads engine and services only inside the engine host, never in its own process', () => {
    const allowed = ['main/contract', 'main/contract/', 'main/common/'];
    const bad = electronImports.filter((imp) => {
      const to = target(imp);
      if (!to || !to.startsWith('main/') || imp.typeOnly) return false;
      return !allowed.some((a) => to === a || (a.endsWith('/') && to.startsWith(a)));
    });
    expect(bad.map(describeImport)).toEqual([]);
  });

  it('main/ keeps no mutable state at module level (the app owns it all)', () => {
    const files = sourceFiles('main').filter((f) => /\.(ts|mts)$/.test(f));
    expect(files.flatMap(moduleState)).toEqual([]);
  });

  it('api/handlers hold only their handler map: the work lives in app/ and services/', () => {
    const files = sourceFiles('main/api/handlers').filter((f) => !f.endsWith('/index.ts'));
    expect(files.length).toBeGreaterThan(5);
    expect(files.flatMap(handlerFileExtras)).toEqual([]);
  });
});
