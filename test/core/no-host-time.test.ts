import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

/** Every .ts file under src/, recursively. */
function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('time is injected', () => {
  it('only src/core/clock.ts touches Date.now, performance.now, Math.random or the global timers', () => {
    const root = resolve(__dirname, '../../src');
    const offenders: string[] = [];
    for (const file of sources(root)) {
      const rel = relative(root, file);
      if (rel === join('core', 'clock.ts')) continue;
      const code = readFileSync(file, 'utf8')
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/\/\/.*$/gm, '')
        // Clock implementations define methods named setTimeout/clearTimeout; those are not calls of the globals.
        .replace(/^\s+(setTimeout|clearTimeout|sleep)\(.*\)\s*:\s*[\w<>| ]+\{$/gm, '');
      const m = code.match(/Date\.now|performance\.now|Math\.random|(?<![.\w])(setTimeout|setInterval|setImmediate)\s*\(/);
      if (m) offenders.push(`${rel}: ${m[0]}`);
    }
    expect(offenders).toEqual([]);
  });
});
