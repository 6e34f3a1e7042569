import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/errors.js';
import { ERROR_DEFAULT_GATES as DEFAULT_GATES, ROLLBACK_GATES } from '../../src/gates/spec.js';
import { decide, evaluateGate, evaluateGates, verdictOf } from '../../src/gates/evaluate.js';
import type { GateSpec } from '../../src/gates/types.js';
import type { Results } from '../../src/results/types.js';
import { fixture } from './helpers.js';

const byName = (r: Results, gates = DEFAULT_GATES) => Object.fromEntries(evaluateGates(r, gates).gates.map((g) => [g.name, g]));

describe('decide: the interval must clear the threshold', () => {
  it.each([
    ['<=', 130, 100, 120, 'pass'],
    ['<=', 130, 131, 140, 'fail'],
    ['<=', 130, 125, 135, 'inconclusive'],
    ['<=', 130, 120, 130, 'pass'],
    ['<', 130, 120, 130, 'inconclusive'],
    ['<', 130, 130, 140, 'fail'],
    ['>=', 0.7, 0.72, 0.8, 'pass'],
    ['>=', 0.7, 0.5, 0.69, 'fail'],
    ['>=', 0.7, 0.68, 0.72, 'inconclusive'],
    ['>', 20, 20, 25, 'inconclusive'],
    ['>', 20, 15, 20, 'fail'],
    ['==', 5, 5, 5, 'pass'],
    ['==', 5, 6, 7, 'fail'],
    ['==', 5, 4, 6, 'inconclusive'],
    ['!=', 5, 6, 7, 'pass'],
    ['!=', 5, 5, 5, 'fail'],
    ['!=', 5, 4, 6, 'inconclusive'],
  ] as const)('%s %s over [%s, %s] → %s', (op, t, lo, hi, want) => {
    expect(decide(op, t, lo, hi)).toBe(want);
  });

  it('verdict: fail beats inconclusive beats pass', () => {
    expect(verdictOf(['pass', 'inconclusive', 'fail'])).toBe('fail');
    expect(verdictOf(['pass', 'inconclusive'])).toBe('inconclusive');
    expect(verdictOf(['pass', 'pass'])).toBe('pass');
    expect(verdictOf([])).toBe('pass');
  });
});

describe('default gates on the fixtures', () => {
  it('all pass on results-pass.json, with intervals around the value that clear the threshold', () => {
    const ev = evaluateGates(fixture('pass'), DEFAULT_GATES);
    expect(ev.verdict).toBe('pass');
    expect(ev.gates.map((g) => g.name)).toEqual(DEFAULT_GATES.map((g) => g.name));
    for (const g of ev.gates) {
      expect(g.status).toBe('pass');
      expect(g.ci[0]).toBeLessThanOrEqual(g.value);
      expect(g.ci[1]).toBeGreaterThanOrEqual(g.value);
      expect(g.ci[1]).toBeGreaterThan(g.ci[0]);
      expect(g.note).toMatch(/95% bootstrap interval over 30 windows/);
    }
    const g = byName(fixture('pass'));
    expect(g['hit_ratio >= 0.7']!.value).toBeCloseTo(fixture('pass').paths.cached.cache!.hit_ratio, 5);
    expect(g['hit_ratio >= 0.7']!.ci[0]).toBeGreaterThan(0.7);
    const p = fixture('pass').paths;
    expect(g['fetch_md p95 improvement >= 20 ms']!.value).toBeCloseTo(p.uncached.fetch_md_ms.p95 - p.cached.fetch_md_ms.p95, 5);
    expect(g['fetch_md p95 improvement >= 20 ms']!.note).toMatch(/Mann-Whitney U \(one-sided, cached < uncached\) over 30\+30 per-window p95 values: U=0, p=\S+e-\d+/);
    expect(g['tick_total p95 <= 130 ms']!.ci[1]).toBeLessThan(130);
    expect(g['deadline_miss < 2 %']!.ci[1]).toBeLessThan(0.02);
  });

  it('all fail on results-fail.json: the whole interval misses', () => {
    const ev = evaluateGates(fixture('fail'), DEFAULT_GATES);
    expect(ev.verdict).toBe('fail');
    expect(ev.gates.map((g) => g.status)).toEqual(['fail', 'fail', 'fail', 'fail']);
    const g = byName(fixture('fail'));
    expect(g['hit_ratio >= 0.7']!.ci[1]).toBeLessThan(0.7);
    expect(g['fetch_md p95 improvement >= 20 ms']!.ci[1]).toBeLessThan(20);
    expect(g['tick_total p95 <= 130 ms']!.ci[0]).toBeGreaterThan(130);
    expect(g['deadline_miss < 2 %']!.ci[0]).toBeGreaterThan(0.02);
  });

  it('all inconclusive on results-inconclusive.json: each interval straddles its threshold', () => {
    const ev = evaluateGates(fixture('inconclusive'), DEFAULT_GATES);
    expect(ev.verdict).toBe('inconclusive');
    for (const g of ev.gates) {
      expect(g.status).toBe('inconclusive');
      expect(g.ci[0]).toBeLessThan(g.threshold);
      expect(g.ci[1]).toBeGreaterThan(g.threshold);
    }
  });

  it('is deterministic (seeded bootstrap) and the seed option changes the interval slightly', () => {
    const a = evaluateGates(fixture('inconclusive'), DEFAULT_GATES);
    const b = evaluateGates(fixture('inconclusive'), DEFAULT_GATES);
    expect(a).toEqual(b);
    const c = evaluateGates(fixture('inconclusive'), DEFAULT_GATES, { seed: 'other' });
    expect(c.gates.map((g) => g.ci)).not.toEqual(a.gates.map((g) => g.ci));
    expect(c.gates.map((g) => g.value)).toEqual(a.gates.map((g) => g.value));
  });

  it('with fewer than 5 windows every interval gate is inconclusive and says why', () => {
    const ev = evaluateGates(fixture('short'), DEFAULT_GATES);
    expect(ev.verdict).toBe('inconclusive');
    for (const g of ev.gates) {
      expect(g.status).toBe('inconclusive');
      expect(g.note).toMatch(/only 3 window\(s\) \(< 5\): too few to judge/);
    }
    // Forcing a bootstrap on 3 windows: the improvement still cannot pass, because 3 + 3 values can
    // never reach p < 0.05 in a one-sided Mann-Whitney test (the smallest p is 1/20).
    const forced = evaluateGates(fixture('short'), DEFAULT_GATES, { minWindows: 3 }).gates;
    expect(forced.map((g) => g.status)).toEqual(['pass', 'inconclusive', 'pass', 'pass']);
    expect(forced[1]!.note).toMatch(/p=0\.050.*not significantly faster/);
  });

  it('rollback conditions: triggered (pass) on the failing run, not on the healthy one', () => {
    const fail = evaluateGates(fixture('fail'), ROLLBACK_GATES).gates;
    expect(fail[0]!.status).toBe('pass'); // hit ratio 0.42 < 0.5
    expect(fail[1]!.status).toBe('fail'); // cached is still a little faster: no regression
    const ok = evaluateGates(fixture('pass'), ROLLBACK_GATES).gates;
    expect(ok.map((g) => g.status)).toEqual(['fail', 'fail']);
    expect(ok[1]!.value).toBeLessThan(-80);
    expect(ok[1]!.note).toMatch(/Mann-Whitney U \(one-sided, cached > uncached\)/);
  });
});

describe('metric analogues and edge cases', () => {
  it('uses zero-width intervals for metrics without a per-window analogue and says so', () => {
    const g = evaluateGate(fixture('pass'), { kind: 'absolute', metric: 'cached.fetch_md_ms.max', op: '<=', value: 500 });
    expect(g.ci[0]).toBe(g.ci[1]);
    expect(g.status).toBe('pass');
    expect(g.note).toMatch(/zero width/);
  });

  it('approximates p99.9 and p90 with per-window p99 and p95 and notes it', () => {
    const g = evaluateGate(fixture('pass'), { kind: 'absolute', metric: 'cached.tick_total_ms.p999', op: '<=', value: 400 });
    expect(g.note).toMatch(/per-window p99/);
    expect(g.note).toMatch(/no p99\.9/);
    expect(g.ci[1]).toBeGreaterThan(g.ci[0]);
    const h = evaluateGate(fixture('pass'), { kind: 'absolute', metric: 'uncached.fetch_md_ms.p90', op: '<=', value: 400 });
    expect(h.note).toMatch(/no p90/);
  });

  it('computes regression_pct = (cached − uncached) / uncached × 100', () => {
    const r = fixture('fail');
    const g = evaluateGate(r, { kind: 'regression_pct', metric: 'tick_total_ms.p95', op: '<=', value: 15 });
    const u = r.paths.uncached.tick_total_ms.p95;
    const c = r.paths.cached.tick_total_ms.p95;
    expect(g.value).toBeCloseTo(((c - u) / u) * 100, 5);
    expect(g.status).toBe('fail');
    expect(g.metric).toBe('(cached.tick_total_ms.p95 − uncached.tick_total_ms.p95) / uncached.tick_total_ms.p95 × 100');
  });

  it('an improvement gate does not pass when cached is not significantly faster', () => {
    const r = fixture('pass');
    // Same per-window fetch_md on both paths: MW p ≈ 0.5; threshold far below so the interval clears it.
    r.windows.cached = r.windows.cached.map((w, i) => ({ ...w, fetch_md_p95: r.windows.uncached[i]!.fetch_md_p95 }));
    const g = evaluateGate(r, { kind: 'improvement_ms', metric: 'fetch_md_ms.p95', op: '>=', value: -1000 });
    expect(g.status).toBe('inconclusive');
    expect(g.note).toMatch(/not significantly faster at α=0.05/);
  });

  it('a gate naming a metric absent from the run is a ConfigError (exit 2) naming the available stages', () => {
    const gates: GateSpec[] = [{ kind: 'absolute', metric: 'cached.stages.nope.p95', op: '<', value: 1 }];
    expect(() => evaluateGates(fixture('pass'), gates)).toThrow(ConfigError);
    expect(() => evaluateGates(fixture('pass'), gates)).toThrow(/'cached\.stages\.nope\.p95' is not in these results \(stages in this run: fetch_md, features, decide, route\)/);
    const ok = evaluateGates(fixture('pass'), [{ kind: 'absolute', metric: 'cached.stages.decide.p95', op: '<', value: 100 }]);
    expect(ok.gates[0]!.status).toBe('pass');
  });

  it('missing invalidation reasons count as 0', () => {
    const g = evaluateGate(fixture('pass'), { kind: 'absolute', metric: 'cached.cache.invalidations.never_seen', op: '==', value: 0 });
    expect(g.value).toBe(0);
    expect(g.status).toBe('pass');
  });
});
