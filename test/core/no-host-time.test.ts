/**
 * Time is injected: only src/core/clock.ts touches the host's clocks, timers or randomness. Checked on the
 * TypeScript syntax tree (#15.30), so `globalThis.setTimeout(…)`, `new Date()` and `node:timers/promises`
 * are caught — the regex this replaces let them through.
 */
import { describe, expect, it } from 'vitest';
import { hostTimeUses, parse, sourceFiles } from '../helpers/source-ast.js';

/** Files allowed to read the host's clock: the clock itself. */
const ALLOWED = new Set(['core/clock.ts']);

describe('time is injected', () => {
  it('only src/core/clock.ts touches Date, performance.now, process.hrtime, Math.random, the timer globals or node:timers', () => {
    const offenders = sourceFiles().filter((f) => !ALLOWED.has(f)).flatMap((f) => hostTimeUses(parse(f)));
    expect(offenders).toEqual([]);
  });

  it('the check catches what the old regex missed, and allows clock methods and calls on a clock', () => {
    const uses = (code: string): string[] => hostTimeUses(parse('x.ts', code)).map((u) => u.replace(/^x\.ts:\d+: /, ''));
    expect(uses('globalThis.setTimeout(() => 1, 5);')).toEqual(['globalThis.setTimeout']);
    expect(uses('const d = new Date();')).toEqual(['new Date()']);
    expect(uses("import { setTimeout as wait } from 'node:timers/promises';")).toEqual(["import 'node:timers/promises'"]);
    expect(uses("import { setImmediate } from 'node:timers';")).toEqual(["import 'node:timers'"]);
    expect(uses("const t = await import('node:timers/promises');")).toEqual(["import('node:timers/promises')"]);
    expect(uses('setImmediate(f); queueMicrotask(g);')).toEqual(['setImmediate']); // microtasks are not host time
    expect(uses('const s = setTimeout; s(f, 1);')).toEqual(['setTimeout']);
    expect(uses("globalThis['setInterval'](f, 1);")).toEqual(["globalThis['setInterval']"]);
    expect(uses('Date.now(); performance.now(); process.hrtime.bigint(); Math.random(); Date();')).toEqual(['Date.now', 'performance.now', 'process.hrtime', 'Math.random', 'Date()']);
    expect(uses("import { performance } from 'node:perf_hooks';")).toEqual(["import 'node:perf_hooks'"]);
    // fine: a Clock implementation's methods, calls on an injected clock, a property named setTimeout
    expect(uses('class C { setTimeout(fn: () => void, ms: number) { return this.inner.setTimeout(fn, ms); } clearTimeout(h: unknown) {} }')).toEqual([]);
    expect(uses('clock.setTimeout(f, 5); const o = { setTimeout: 1 }; await clock.sleep(3);')).toEqual([]);
  });
});
