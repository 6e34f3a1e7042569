/**
 * Reads src/ with the TypeScript parser (ts.createSourceFile) for the structure tests: host-time use found
 * on the syntax tree (not a regex that `globalThis.setTimeout(…)` or `new Date()` passes), and the imports
 * of each file for the layering rules.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

export const SRC = resolve(__dirname, '../../src');

/** Every .ts file under `dir`, recursively (paths relative to src/, with '/'). */
export function sourceFiles(dir = SRC): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sourceFiles(p) : p.endsWith('.ts') && !p.endsWith('.d.ts') ? [relative(SRC, p).split('\\').join('/')] : [];
  });
}

export function parse(rel: string, text = readFileSync(join(SRC, rel), 'utf8')): ts.SourceFile {
  return ts.createSourceFile(rel, text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
}

const TIMER_GLOBALS = new Set(['setTimeout', 'setInterval', 'setImmediate', 'clearTimeout', 'clearInterval', 'clearImmediate']);
const HOST_MODULES = new Set(['node:timers', 'node:timers/promises', 'timers', 'timers/promises', 'node:perf_hooks', 'perf_hooks']);
const GLOBAL_OBJECTS = new Set(['globalThis', 'global', 'window', 'self']);

/**
 * Uses of host time or host randomness in one file: `Date.now()`, `new Date()`, `Date()`, `performance.now()`,
 * `process.hrtime(…)`, `Math.random()`, the timer globals called bare or through globalThis/global, and imports of
 * node:timers(/promises) and perf_hooks. Method definitions and calls on other objects (`clock.setTimeout`) are fine.
 */
export function hostTimeUses(sf: ts.SourceFile): string[] {
  const found: string[] = [];
  const at = (n: ts.Node, what: string): void => {
    const { line } = sf.getLineAndCharacterOfPosition(n.getStart(sf));
    found.push(`${sf.fileName}:${line + 1}: ${what}`);
  };
  const isId = (n: ts.Node, name: string): boolean => ts.isIdentifier(n) && n.text === name;
  const visit = (n: ts.Node): void => {
    if ((ts.isImportDeclaration(n) || ts.isExportDeclaration(n)) && n.moduleSpecifier && ts.isStringLiteral(n.moduleSpecifier) && HOST_MODULES.has(n.moduleSpecifier.text)) at(n, `import '${n.moduleSpecifier.text}'`);
    if (ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.ImportKeyword && n.arguments[0] && ts.isStringLiteral(n.arguments[0]) && HOST_MODULES.has(n.arguments[0].text)) at(n, `import('${n.arguments[0].text}')`);
    if (ts.isCallExpression(n) && isId(n.expression, 'require') && n.arguments[0] && ts.isStringLiteral(n.arguments[0]) && HOST_MODULES.has(n.arguments[0].text)) at(n, `require('${n.arguments[0].text}')`);
    if (ts.isNewExpression(n) && isId(n.expression, 'Date')) at(n, 'new Date()');
    if (ts.isCallExpression(n) && isId(n.expression, 'Date')) at(n, 'Date()');
    if (ts.isPropertyAccessExpression(n)) {
      const obj = n.expression;
      const name = n.name.text;
      if (isId(obj, 'Date') && name === 'now') at(n, 'Date.now');
      if (isId(obj, 'performance') && name === 'now') at(n, 'performance.now');
      if (isId(obj, 'Math') && name === 'random') at(n, 'Math.random');
      if (isId(obj, 'process') && (name === 'hrtime' || name === 'uptime')) at(n, `process.${name}`);
      if (ts.isIdentifier(obj) && GLOBAL_OBJECTS.has(obj.text) && (TIMER_GLOBALS.has(name) || name === 'performance' || name === 'Date')) at(n, `${obj.text}.${name}`);
    }
    if (ts.isElementAccessExpression(n) && ts.isIdentifier(n.expression) && GLOBAL_OBJECTS.has(n.expression.text) && ts.isStringLiteral(n.argumentExpression) && TIMER_GLOBALS.has(n.argumentExpression.text)) at(n, `${n.expression.text}['${n.argumentExpression.text}']`);
    // A bare identifier naming a timer global, used as a value (called, passed, aliased) — not a declaration's name or a property name.
    if (ts.isIdentifier(n) && TIMER_GLOBALS.has(n.text)) {
      const p = n.parent;
      const isName =
        (ts.isPropertyAccessExpression(p) && p.name === n) ||
        ((ts.isMethodDeclaration(p) || ts.isMethodSignature(p) || ts.isPropertyDeclaration(p) || ts.isPropertySignature(p) || ts.isPropertyAssignment(p) || ts.isFunctionDeclaration(p) || ts.isVariableDeclaration(p) || ts.isParameter(p)) && p.name === n) ||
        ts.isImportSpecifier(p) ||
        ts.isExportSpecifier(p);
      if (!isName) at(n, n.text);
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return found;
}

/** Relative imports of a file, resolved to paths under src/ (`./x.js` → `dir/x.ts`), plus bare package names. */
export function importsOf(rel: string): { local: string[]; packages: string[] } {
  const sf = parse(rel);
  const local: string[] = [];
  const packages: string[] = [];
  const add = (spec: string, typeOnly: boolean): void => {
    if (typeOnly) return; // type-only imports vanish at run time
    if (spec.startsWith('.')) local.push(join(dirname(rel), spec).split('\\').join('/').replace(/\.js$/, '.ts'));
    else if (!spec.startsWith('node:')) packages.push(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
  };
  const visit = (n: ts.Node): void => {
    if (ts.isImportDeclaration(n) && ts.isStringLiteral(n.moduleSpecifier)) {
      const c = n.importClause;
      const typeOnly = Boolean(c?.isTypeOnly || (c && !c.name && c.namedBindings && ts.isNamedImports(c.namedBindings) && c.namedBindings.elements.length > 0 && c.namedBindings.elements.every((e) => e.isTypeOnly)));
      add(n.moduleSpecifier.text, typeOnly);
    }
    if (ts.isExportDeclaration(n) && n.moduleSpecifier && ts.isStringLiteral(n.moduleSpecifier)) add(n.moduleSpecifier.text, n.isTypeOnly);
    if (ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.ImportKeyword && n.arguments[0] && ts.isStringLiteral(n.arguments[0])) add(n.arguments[0].text, false);
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return { local, packages };
}
