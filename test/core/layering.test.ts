/**
 * Dependencies point inward (#15.30), checked on the syntax tree of every file under src/: no import cycles
 * (run-time imports; type-only imports vanish at run time), src/cache imports nothing above it, only src/cli
 * imports commander, only the renderers (src/report) import chalk and cli-table3.
 */
import { describe, expect, it } from 'vitest';
import { importsOf, sourceFiles } from '../helpers/source-ast.js';

const files = sourceFiles();
const graph = new Map(files.map((f) => [f, importsOf(f)]));

describe('layering', () => {
  it('has no import cycles', () => {
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const stack: string[] = [];
    const visit = (f: string): void => {
      state.set(f, 'open');
      stack.push(f);
      for (const g of graph.get(f)?.local ?? []) {
        if (!graph.has(g)) continue;
        if (state.get(g) === 'open') cycles.push([...stack.slice(stack.indexOf(g)), g].join(' → '));
        else if (!state.has(g)) visit(g);
      }
      stack.pop();
      state.set(f, 'done');
    };
    for (const f of files) if (!state.has(f)) visit(f);
    expect(cycles).toEqual([]);
  });

  it('src/cache imports nothing above it (cli, ops, report, gates, sim, pipeline, scenario, net, exchange, io) and no CLI, file or terminal package', () => {
    const ABOVE = ['cli/', 'ops/', 'report/', 'gates/', 'sim/', 'pipeline/', 'scenario/', 'net/', 'exchange/', 'io/'];
    const bad: string[] = [];
    for (const f of files.filter((x) => x.startsWith('cache/'))) {
      const { local, packages } = graph.get(f)!;
      for (const g of local) if (ABOVE.some((a) => g.startsWith(a))) bad.push(`${f} → ${g}`);
      for (const p of packages) if (['commander', 'chalk', 'cli-table3', 'yaml', 'ws'].includes(p)) bad.push(`${f} → ${p}`);
    }
    expect(bad).toEqual([]);
  });

  it('only src/cli imports commander; only src/report imports chalk and cli-table3', () => {
    const bad: string[] = [];
    for (const f of files) {
      for (const p of graph.get(f)!.packages) {
        if (p === 'commander' && !f.startsWith('cli/')) bad.push(`${f} → commander`);
        if ((p === 'chalk' || p === 'cli-table3') && !f.startsWith('report/')) bad.push(`${f} → ${p}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('the checks see real imports (sanity)', () => {
    expect(graph.get('cli/main.ts')!.packages).toContain('commander');
    expect(files.length).toBeGreaterThan(50);
  });
});
