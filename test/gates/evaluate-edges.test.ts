/**
 * The gate evaluator's edges, on small synthetic runs whose intervals can be computed by hand: decision
 * boundaries, arm verdicts, missing-metric messages, window pairing and filtering, the per-window range with
 * few windows, clamping, the significance rule, seeds and notes (found by mutation testing, `npm run mutate`).
 */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/errors.js';
import { checkGatesAgainstResults, decide, defaultGatesFor, evaluateGate, evaluateGates, fmtP, pairWindows } from '../../src/gates/evaluate.js';
import { mannWhitneyU } from '../../src/gates/stats.js';
import type { GateSpec } from '../../src/gates/types.js';
import type { Results, WindowStats } from '../../src/results/types.js';
import { fixture } from './helpers.js';

/** The pass fixture with its windows replaced by `u` / `c` (fields over the fixture's first window, 1 s apart). */
function run(u: Partial<WindowStats>[], c: Partial<WindowStats>[]): Results {
  const r = fixture('pass');
  const base = r.windows.uncached[0]!;
  const mk = (fs: Partial<WindowStats>[]): WindowStats[] => fs.map((f, i) => ({ ...base, start_ms: i * 1000, ...f }));
  r.windows = { window_ms: 1000, uncached: mk(u), cached: mk(c) };
  return r;
}
const times = <T>(n: number, f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i));

describe('decide at the boundaries', () => {
  it.each([
    ['<=', 130, 130, 140, 'inconclusive'],
    ['>', 20, 21, 25, 'pass'],
    ['>', 20, 19, 21, 'inconclusive'],
    ['>=', 0.7, 0.7, 0.8, 'pass'],
    ['>=', 0.7, 0.6, 0.7, 'inconclusive'],
    ['>=', 0.7, 0.5, 0.6, 'fail'],
    ['==', 5, 5, 6, 'inconclusive'],
    ['==', 5, 4, 5, 'inconclusive'],
    ['==', 5, 3, 4, 'fail'],
    ['!=', 5, 3, 4, 'pass'],
    ['!=', 5, 5, 6, 'inconclusive'],
    ['!=', 5, 4, 5, 'inconclusive'],
  ] as const)('%s %s over [%s, %s] → %s', (op, t, lo, hi, want) => {
    expect(decide(op, t, lo, hi)).toBe(want);
  });
});

describe('fmtP', () => {
  it.each([
    [Number.NaN, 'n/a'],
    [Number.POSITIVE_INFINITY, 'n/a'],
    [0.00001, '1.0e-5'],
    [0.0001, '0.0001'],
    [0.005, '0.0050'],
    [0.01, '0.010'],
    [0.5, '0.500'],
  ])('%s → %s', (p, want) => {
    expect(fmtP(p)).toBe(want);
  });
});

describe('arms: each arm has its own verdict', () => {
  function armsRun(): Results {
    const r = fixture('pass');
    const low = structuredClone(r.paths.cached);
    low.cache!.hit_ratio = 0.1;
    r.arms = [
      { name: 'ttl', md_cache: {} },
      { name: 'ahead', md_cache: { policy: 'refresh_ahead' } },
    ];
    r.paths.ttl = r.paths.cached;
    r.paths.ahead = low;
    r.windows.ttl = r.windows.cached;
    r.windows.ahead = r.windows.cached.map((w) => {
      const gets = w.gets ?? 0;
      return { ...w, hits: Math.round(gets * 0.1), fresh: Math.round(gets * 0.05), stale: Math.round(gets * 0.05) };
    });
    return r;
  }
  const hit: GateSpec = { kind: 'absolute', metric: 'cached.cache.hit_ratio', op: '>=', value: 0.5 };

  it('a gate on cached applies to each arm; the arm whose copy fails fails, the other passes', () => {
    const ev = evaluateGates(armsRun(), [hit]);
    expect(ev.gates.map((g) => [g.name, g.arm, g.status])).toEqual([
      ['ttl: cached.cache.hit_ratio >= 0.5', 'ttl', 'pass'],
      ['ahead: cached.cache.hit_ratio >= 0.5', 'ahead', 'fail'],
    ]);
    expect(ev.verdict).toBe('fail');
    expect(ev.arms).toEqual([
      { name: 'ttl', verdict: 'pass' },
      { name: 'ahead', verdict: 'fail' },
    ]);
  });

  it('a gate naming an arm decides that arm only; a gate on uncached decides every arm; warn gates decide none', () => {
    const r = armsRun();
    const onTtl: GateSpec = { kind: 'absolute', metric: 'ttl.cache.hit_ratio', op: '<=', value: 0.5 };
    expect(evaluateGates(r, [onTtl]).arms).toEqual([
      { name: 'ttl', verdict: 'fail' },
      { name: 'ahead', verdict: 'pass' },
    ]);
    const uncachedFails: GateSpec = { kind: 'absolute', metric: 'uncached.ticks', op: '<', value: 0 };
    expect(evaluateGates(r, [uncachedFails]).arms).toEqual([
      { name: 'ttl', verdict: 'fail' },
      { name: 'ahead', verdict: 'fail' },
    ]);
    const warn: GateSpec = { ...hit, severity: 'warn' };
    const ev = evaluateGates(r, [warn]);
    expect(ev.gates.map((g) => g.status)).toEqual(['pass', 'fail']);
    expect(ev.verdict).toBe('pass');
    expect(ev.arms).toEqual([
      { name: 'ttl', verdict: 'pass' },
      { name: 'ahead', verdict: 'pass' },
    ]);
  });

  it('a relative gate is judged per arm against uncached (its arm is recorded)', () => {
    const r = armsRun();
    r.paths.ahead!.fetch_md_ms = { ...r.paths.uncached.fetch_md_ms };
    r.windows.ahead = (r.windows.ahead as WindowStats[]).map((w, i) => ({ ...w, fetch_md_p95: r.windows.uncached[i]!.fetch_md_p95 }));
    const ev = evaluateGates(r, [{ kind: 'improvement_ms', metric: 'fetch_md_ms.p95', op: '>=', value: 20 }]);
    expect(ev.gates.map((g) => [g.arm, g.metric, g.status])).toEqual([
      ['ttl', 'uncached.fetch_md_ms.p95 − ttl.fetch_md_ms.p95', 'pass'],
      ['ahead', 'uncached.fetch_md_ms.p95 − ahead.fetch_md_ms.p95', 'fail'],
    ]);
    expect(ev.gates[1]!.value).toBe(0);
    expect(ev.arms).toEqual([
      { name: 'ttl', verdict: 'pass' },
      { name: 'ahead', verdict: 'fail' },
    ]);
  });

  it("a run whose only arm is named cached: relative gates (no arm) decide it", () => {
    const r = fixture('fail');
    r.arms = [{ name: 'cached', md_cache: {} }];
    const ev = evaluateGates(r, [{ kind: 'improvement_ms', metric: 'fetch_md_ms.p95', op: '>=', value: 20 }]);
    expect(ev.gates[0]!.status).toBe('fail');
    expect(ev.arms).toEqual([{ name: 'cached', verdict: 'fail' }]);
  });

  it('a plain run (no arms, or an empty arms list) has no per-arm verdicts and no arm on its gates', () => {
    const r = fixture('pass');
    const ev = evaluateGates(r, [hit]);
    expect(ev.arms).toBeUndefined();
    expect(ev.gates[0]!.name).toBe('cached.cache.hit_ratio >= 0.5');
    expect('arm' in ev.gates[0]!).toBe(false);
    expect('severity' in ev.gates[0]!).toBe(false);
    r.arms = [];
    expect(evaluateGates(r, [hit]).arms).toBeUndefined();
    const g = evaluateGate(fixture('pass'), { ...hit, arm: 'cached', severity: 'warn' });
    expect(g.arm).toBe('cached');
    expect(g.severity).toBe('warn');
  });
});

describe('gates naming metrics this run lacks', () => {
  const problems = (r: Results, g: GateSpec): string[] => checkGatesAgainstResults(r, [g]).map((p) => `${p.path}: ${p.message}`);

  it('one ConfigError naming each gate by its index and saying why the metric is absent', () => {
    const r = fixture('pass');
    delete r.paths.cached.cache;
    const gates: GateSpec[] = [
      { kind: 'absolute', metric: 'cached.ticks', op: '>', value: 0 },
      { kind: 'absolute', metric: 'cached.cache.hit_ratio', op: '>=', value: 0.5 },
    ];
    let err: unknown;
    try {
      evaluateGates(r, gates);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message.split('\n')[0]).toBe('invalid gates for these results:');
    expect((err as ConfigError).problems).toEqual([{ path: 'gates[1].metric', message: "'cached.cache.hit_ratio' is not in these results (this run has no cache results)" }]);
  });

  it('shadow, stage, cache and other metrics each get their reason (or none)', () => {
    const r = fixture('pass');
    expect(problems(r, { kind: 'absolute', metric: 'shadow.compared', op: '>', value: 0 })).toEqual([
      "gates[0].metric: 'shadow.compared' is not in these results (only `mdcache shadow` runs have shadow divergence results)",
    ]);
    delete r.paths.cached.rest;
    expect(problems(r, { kind: 'absolute', metric: 'cached.rest.requests', op: '>', value: 0 })).toEqual(["gates[0].metric: 'cached.rest.requests' is not in these results"]);
    r.paths.uncached.stages = {};
    expect(problems(r, { kind: 'absolute', metric: 'uncached.stages.decide.p95', op: '<', value: 1 })).toEqual([
      "gates[0].metric: 'uncached.stages.decide.p95' is not in these results (stages in this run: none)",
    ]);
    const noPaths = { ...r, paths: undefined } as unknown as Results;
    expect(problems(noPaths, { kind: 'absolute', metric: 'cached.stages.decide.p95', op: '<', value: 1 })).toEqual([
      "gates[0].metric: 'cached.stages.decide.p95' is not in these results (stages in this run: none)",
    ]);
  });

  it('a relative gate needs the metric on uncached too', () => {
    const r = fixture('pass');
    delete r.paths.uncached.stages!.decide;
    expect(problems(r, { kind: 'regression_pct', metric: 'stages.decide.p95', op: '<=', value: 10 })).toEqual([
      "gates[0].metric: 'uncached.stages.decide.p95' is not in these results (stages in this run: fetch_md, features, route)",
    ]);
    expect(problems(fixture('pass'), { kind: 'regression_pct', metric: 'stages.decide.p95', op: '<=', value: 10 })).toEqual([]);
  });

  it('an unknown absolute metric is reported, not a crash', () => {
    expect(problems(fixture('pass'), { kind: 'absolute', metric: 'bogus.metric', op: '<', value: 1 })).toEqual(["gates[0].metric: 'cached.' is not in these results"]);
  });

  it('default gates: warnings on metrics the run lacks are left out, error gates never are', () => {
    const r = fixture('pass');
    delete r.paths.cached.rest;
    delete r.paths.uncached.rest;
    expect(defaultGatesFor(r).map((g) => g.name)).toEqual(['hit_ratio >= 0.7', 'fetch_md p95 improvement >= 20 ms', 'tick_total p95 <= 130 ms', 'deadline_miss < 2 %', 'tob_error p99 <= 2 ticks']);
    delete r.paths.cached.cache;
    expect(defaultGatesFor(r).map((g) => g.name)).toEqual(['hit_ratio >= 0.7', 'fetch_md p95 improvement >= 20 ms', 'tick_total p95 <= 130 ms', 'deadline_miss < 2 %']);
    expect(() => evaluateGates(r)).toThrow(/'cached\.cache\.hit_ratio' is not in these results/);
  });
});

describe('windows', () => {
  it('pairWindows pairs by start time (default arm cached) and tolerates a run without windows', () => {
    const r = run(
      times(3, () => ({})),
      times(3, () => ({})),
    );
    r.windows.cached = r.windows.cached.map((w) => ({ ...w, start_ms: w.start_ms + 1000 }));
    const p = pairWindows(r);
    expect(p.uncached.map((w) => w.start_ms)).toEqual([1000, 2000]);
    expect(p.cached.map((w) => w.start_ms)).toEqual([1000, 2000]);
    expect(p.cached[0]).toBe(r.windows.cached[0]);
    expect(pairWindows({ ...r, windows: undefined } as unknown as Results)).toEqual({ uncached: [], cached: [] });
  });

  it('an absolute ratio gate uses only windows with gets', () => {
    const r = run(
      times(7, () => ({})),
      times(7, (i) => (i < 2 ? { gets: 0, hits: 0 } : { gets: 100, hits: 80 + i })),
    );
    const g = evaluateGate(r, { kind: 'absolute', metric: 'cached.cache.hit_ratio', op: '>=', value: 0.5 }, { minWindows: 3 });
    expect(g.note).toBe('95% bootstrap interval over 5 windows (Σ hits / Σ gets over windows, 2000 resamples)');
  });

  it('a relative ratio gate uses only windows where both paths have ticks; a ratio gets no Mann-Whitney test', () => {
    const r = run(
      times(6, (i) => ({ ticks: i === 1 ? 0 : 100, deadline_misses: 2 })),
      times(6, (i) => ({ ticks: i === 4 ? 0 : 50, deadline_misses: 1 })),
    );
    r.paths.uncached.deadline_miss_ratio = 0.02;
    r.paths.cached.deadline_miss_ratio = 0.03;
    const g = evaluateGate(r, { kind: 'regression_pct', metric: 'deadline_miss_ratio', op: '<=', value: 0 });
    expect(g.note).toBe('only 4 window(s) (< 5): too few to judge; interval is the range of per-window values');
    // whole run +50 %; each kept window 2/100 vs 1/50: +0 %
    expect(g.value).toBe(50);
    expect(g.ci).toEqual([0, 50]);
    expect(g.note).not.toMatch(/Mann-Whitney/);
  });

  it('with few windows the interval is the range of the value and the per-window relative values', () => {
    const r = run(
      [{ tick_total_p95: 100 }, { tick_total_p95: 100 }, { tick_total_p95: 100 }, { tick_total_p95: 0 }],
      [{ tick_total_p95: 110 }, { tick_total_p95: 120 }, { tick_total_p95: 90 }, { tick_total_p95: 50 }],
    );
    r.paths.uncached.tick_total_ms.p95 = 100;
    r.paths.cached.tick_total_ms.p95 = 105;
    // per window: +10 %, +20 %, −10 % (and +∞ for the window with uncached 0, left out)
    const reg = evaluateGate(r, { kind: 'regression_pct', metric: 'tick_total_ms.p95', op: '<=', value: 30 });
    expect(reg.value).toBe(5);
    expect(reg.ci).toEqual([-10, 20]);
    expect(reg.status).toBe('inconclusive');
    // improvement: uncached − cached per window: −10, −20, 10, −50
    const imp = evaluateGate(r, { kind: 'improvement_ms', metric: 'tick_total_ms.p95', op: '>=', value: 0 });
    expect(imp.value).toBe(-5);
    expect(imp.ci).toEqual([-50, 10]);
  });

  it('a Mann-Whitney test needs paired windows: none paired, none run', () => {
    const r = run(
      times(3, () => ({})),
      times(3, () => ({})),
    );
    r.windows.cached = r.windows.cached.map((w) => ({ ...w, start_ms: w.start_ms + 10_000 }));
    const g = evaluateGate(r, { kind: 'improvement_ms', metric: 'fetch_md_ms.p95', op: '>=', value: 0 });
    const p = r.paths;
    const v = p.uncached.fetch_md_ms.p95 - p.cached.fetch_md_ms.p95;
    expect(g.ci).toEqual([Number(v.toFixed(6)), Number(v.toFixed(6))]);
    expect(g.note).toBe('only 0 window(s) (< 5): too few to judge; interval is the range of per-window values');
  });

  it('a regression gate tests cached > uncached (one-sided) and reports its p', () => {
    const r = run(
      times(5, (i) => ({ fetch_md_p95: 10 + i })),
      times(5, (i) => ({ fetch_md_p95: 20 + i })),
    );
    const g = evaluateGate(r, { kind: 'regression_pct', metric: 'fetch_md_ms.p95', op: '>', value: -1000 });
    const mw = mannWhitneyU([20, 21, 22, 23, 24], [10, 11, 12, 13, 14], 'greater');
    expect(mw.p).toBeLessThan(0.01);
    expect(g.note).toContain(`Mann-Whitney U (one-sided, cached > uncached) over 5+5 per-window p95 values: U=${mw.u}, p=${fmtP(mw.p)}`);
  });
});

describe('intervals: zero width, clamping, seeds, notes', () => {
  it('a metric without a window analogue has the zero-width interval [value, value]', () => {
    const r = fixture('pass');
    const g = evaluateGate(r, { kind: 'absolute', metric: 'cached.fetch_md_ms.max', op: '<=', value: 500 });
    expect(g.ci).toEqual([g.value, g.value]);
    expect(g.value).toBe(r.paths.cached.fetch_md_ms.max);
    expect(g.note).toBe('whole-run value; windows have no analogue of this metric, so the interval has zero width');
  });

  it('a relative gate on a metric without windows: exact value, zero width', () => {
    const r = fixture('pass');
    r.paths.uncached.dropped = 4;
    r.paths.cached.dropped = 2;
    const g = evaluateGate(r, { kind: 'regression_pct', metric: 'dropped', op: '<=', value: 0 });
    expect([g.value, g.ci, g.status]).toEqual([-50, [-50, -50], 'pass']);
    expect(g.note).toBe('whole-run value; windows have no analogue of this metric, so the interval has zero width');
  });

  it('a regression percentage over an uncached 0: 0 on both passes like 0, anything else is inconclusive', () => {
    const r = fixture('pass');
    r.paths.uncached.dropped = 0;
    r.paths.cached.dropped = 0;
    const gate: GateSpec = { kind: 'regression_pct', metric: 'dropped', op: '<=', value: 15 };
    const note = 'uncached value is 0, so a regression percentage is undefined';
    expect(evaluateGate(r, gate)).toMatchObject({ value: 0, ci: [0, 0], status: 'pass', note });
    expect(evaluateGate(r, { ...gate, op: '>' })).toMatchObject({ status: 'fail' });
    r.paths.cached.dropped = 3;
    expect(evaluateGate(r, gate)).toMatchObject({ value: 0, ci: [0, 0], status: 'inconclusive', note });
  });

  it('an absolute ratio interval is clamped to [0, 1], an ms interval at 0 only, a relative one not at all', () => {
    const r = run(
      times(10, () => ({ fetch_md_p95: 10 })),
      times(10, (i) => ({ gets: 100, hits: i % 2 === 0 ? 100 : 0, tick_total_p95: i % 2 === 0 ? 0 : 100, fetch_md_p95: i % 2 === 0 ? 0 : 20 })),
    );
    r.paths.cached.cache!.hit_ratio = 0.95;
    r.paths.cached.tick_total_ms.p95 = 5;
    r.paths.uncached.fetch_md_ms.p95 = 10;
    r.paths.cached.fetch_md_ms.p95 = 9;
    const ratio = evaluateGate(r, { kind: 'absolute', metric: 'cached.cache.hit_ratio', op: '>=', value: 0.5 });
    expect(ratio.ci[1]).toBe(1);
    expect(ratio.ci[0]).toBeGreaterThan(0.5);
    expect(ratio.ci[0]).toBeLessThan(0.95);
    const ms = evaluateGate(r, { kind: 'absolute', metric: 'cached.tick_total_ms.p95', op: '<=', value: 100 });
    expect(ms.ci[0]).toBe(0);
    expect(ms.ci[1]).toBeGreaterThan(5);
    const rel = evaluateGate(r, { kind: 'improvement_ms', metric: 'fetch_md_ms.p95', op: '>=', value: -100 });
    expect(rel.value).toBe(1);
    expect(rel.ci[0]).toBeLessThan(0);
    expect(rel.ci[1]).toBeGreaterThan(1);
  });

  it("the bootstrap seed is the option's, else the run's, else 0; each gate draws its own stream", () => {
    const gate: GateSpec = { kind: 'absolute', metric: 'cached.tick_total_ms.p95', op: '<=', value: 130 };
    const at = (seed: number | undefined, opt?: number): [number, number] => {
      const r = fixture('inconclusive');
      r.seed = seed as number;
      return evaluateGate(r, gate, opt === undefined ? {} : { seed: opt }).ci;
    };
    expect(at(1)).not.toEqual(at(2));
    expect(at(7, 2)).toEqual(at(2));
    expect(at(undefined)).toEqual(at(5, 0));
    expect(at(undefined)).not.toEqual(at(5));
    const r = fixture('inconclusive');
    const a = evaluateGate(r, { ...gate, name: 'a' });
    const b = evaluateGate(r, { ...gate, name: 'b' });
    expect(a.value).toBe(b.value);
    expect(a.ci).not.toEqual(b.ci);
  });

  it('notes: exactly the interval, the approximation and the significance test, joined by "; "', () => {
    const r = fixture('pass');
    expect(evaluateGate(r, { kind: 'absolute', metric: 'cached.tick_total_ms.p95', op: '<=', value: 130 }).note).toBe('95% bootstrap interval over 30 windows (per-window p95, 2000 resamples)');
    expect(evaluateGate(r, { kind: 'absolute', metric: 'cached.tick_total_ms.p999', op: '<=', value: 400 }, { confidence: 0.9, resamples: 500 }).note).toBe(
      '90% bootstrap interval over 30 windows (per-window p99, 500 resamples); windows record no p99.9; interval spread from per-window p99 (likely understates tail uncertainty)',
    );
    expect(evaluateGate(r, { kind: 'improvement_ms', metric: 'fetch_md_ms.p95', op: '>=', value: 20 }).note).toMatch(
      /^95% bootstrap interval over 30 windows \(per-window p95, 2000 resamples\); Mann-Whitney U \(one-sided, cached < uncached\) over 30\+30 per-window p95 values: U=0, p=\S+$/,
    );
  });
});

describe('the significance rule applies to passing improvement gates with >= or > only', () => {
  // cached and uncached have the same per-window fetch_md p95: the one-sided test is far from significant.
  const same = (): Results => {
    const r = fixture('pass');
    r.windows.cached = r.windows.cached.map((w, i) => ({ ...w, fetch_md_p95: r.windows.uncached[i]!.fetch_md_p95 }));
    return r;
  };
  it.each([
    ['improvement_ms', '>=', -1000, 'inconclusive'],
    ['improvement_ms', '>', -1000, 'inconclusive'],
    ['improvement_ms', '<=', 1000, 'pass'],
    ['improvement_ms', '>=', 1000, 'fail'],
    ['regression_pct', '>=', -1000, 'pass'],
  ] as const)('%s %s %s → %s', (kind, op, value, want) => {
    const g = evaluateGate(same(), { kind, metric: 'fetch_md_ms.p95', op, value });
    expect(g.status).toBe(want);
    expect(g.note?.includes('not significantly faster')).toBe(want === 'inconclusive');
  });
});
