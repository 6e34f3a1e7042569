/**
 * The vitest projects select e2e tests by file name only (`*.e2e.test.ts`, vitest.config.ts). This keeps the
 * unit project honest: a test file not named `*.e2e.test.ts` must not import what starts processes, opens
 * sockets or runs the loopback exchange — checked on the syntax tree of every test file (direct imports,
 * static and dynamic; type-only imports vanish at run time and are allowed).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const TEST = resolve(__dirname, '..');
const ROOT = resolve(TEST, '..');

/** Packages and modules whose run-time import means a child process, a socket or a real server. */
const PROCESS_OR_SOCKET = new Set(['child_process', 'net', 'http', 'https', 'http2', 'dgram', 'tls', 'cluster', 'ws', 'ioredis']);
/** Project modules that start an exchange, a live market, a Redis server or the CLI as a child process. */
const LIVE_MODULES = new Set(['src/exchange/server.ts', 'src/exchange/index.ts', 'src/net/live-market.ts', 'test/net/helpers.ts', 'test/helpers/redis-server.ts']);
/** From test/helpers/cli.ts a unit test may take paths and the build check, not `start`/`run` (they spawn the CLI). */
const CLI_HELPERS_ALLOWED = new Set(['ROOT', 'BIN', 'ensureBuilt']);

function testFiles(dir = TEST): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? testFiles(p) : p.endsWith('.test.ts') ? [relative(ROOT, p).split('\\').join('/')] : [];
  });
}

/** What a file imports at run time that only an e2e test may: one line per import. */
export function liveImports(rel: string, text = readFileSync(join(ROOT, rel), 'utf8')): string[] {
  const sf = ts.createSourceFile(rel, text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const found: string[] = [];
  const check = (spec: string, names: string[] | null): void => {
    if (spec.startsWith('.')) {
      const target = join(dirname(rel), spec).split('\\').join('/').replace(/\.js$/, '.ts');
      if (LIVE_MODULES.has(target)) found.push(`${rel} imports ${target}`);
      if (target === 'test/helpers/cli.ts') {
        const bad = names === null ? ['*'] : names.filter((n) => !CLI_HELPERS_ALLOWED.has(n));
        if (bad.length > 0) found.push(`${rel} imports ${bad.join(', ')} from test/helpers/cli.ts`);
      }
      return;
    }
    const pkg = spec.replace(/^node:/, '').split('/')[0]!;
    if (PROCESS_OR_SOCKET.has(pkg)) found.push(`${rel} imports ${spec}`);
  };
  const visit = (n: ts.Node): void => {
    if (ts.isImportDeclaration(n) && ts.isStringLiteral(n.moduleSpecifier)) {
      const c = n.importClause;
      if (!c?.isTypeOnly) {
        const named = c?.namedBindings && ts.isNamedImports(c.namedBindings) ? c.namedBindings.elements.filter((e) => !e.isTypeOnly).map((e) => (e.propertyName ?? e.name).text) : [];
        const whole = !c || c.name !== undefined || (c.namedBindings !== undefined && ts.isNamespaceImport(c.namedBindings));
        // `import type`-only named lists vanish at run time
        if (whole || named.length > 0) check(n.moduleSpecifier.text, whole ? null : named);
      }
    }
    if (ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.ImportKeyword && n.arguments[0] && ts.isStringLiteral(n.arguments[0])) check(n.arguments[0].text, null);
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return found;
}

describe('test file naming: e2e by name only', () => {
  const files = testFiles();

  it('a test that imports a process, socket or exchange module is named *.e2e.test.ts', () => {
    const bad = files.filter((f) => !f.endsWith('.e2e.test.ts')).flatMap((f) => liveImports(f));
    expect(bad, 'rename these files *.e2e.test.ts (or move the live part into one)').toEqual([]);
  });

  it('the check sees real imports (sanity)', () => {
    expect(files.length).toBeGreaterThan(50);
    expect(liveImports('test/x.test.ts', "import { spawn } from 'node:child_process';")).toEqual(['test/x.test.ts imports node:child_process']);
    expect(liveImports('test/a/x.test.ts', "import { WebSocket } from 'ws';\nimport type { Exchange } from '../../src/exchange/server.js';")).toEqual(['test/a/x.test.ts imports ws']);
    expect(liveImports('test/a/x.test.ts', "import { startExchange } from '../../src/exchange/server.js';")).toEqual(['test/a/x.test.ts imports src/exchange/server.ts']);
    expect(liveImports('test/a/x.test.ts', "import { ROOT, start } from '../helpers/cli.js';")).toEqual(['test/a/x.test.ts imports start from test/helpers/cli.ts']);
    expect(liveImports('test/a/x.test.ts', "import { ROOT, ensureBuilt } from '../helpers/cli.js';")).toEqual([]);
    expect(liveImports('test/a/x.test.ts', "const m = await import('node:http');")).toEqual(['test/a/x.test.ts imports node:http']);
    // every e2e file is found by the same check or runs the CLI (sanity of the sets above)
    expect(liveImports('test/exchange/server.e2e.test.ts').length).toBeGreaterThan(0);
  });
});
