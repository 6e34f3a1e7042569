import { describe, expect, it } from 'vitest';
import { compareResults, gateComparison } from '../../src/gates/compare.js';
import { fixture } from './helpers.js';

describe('compareResults', () => {
  it('a run against itself: no change, nothing significant', () => {
    const r = fixture('pass');
    const cmp = compareResults(r, r);
    expect(cmp.rows).toHaveLength(23); // 7 rows per path + hit ratio + 4 REST rows per path
    for (const row of cmp.rows) {
      expect(row.delta).toBe(0);
      expect(row.significant).toBe(false);
      expect(row.n).toEqual([30, 30]);
    }
  });

  it('pass vs fail: cached fetch_md p95 worse and significant; hit ratio lower', () => {
    const cmp = compareResults(fixture('pass'), fixture('fail'));
    const row = (path: string, label: string) => cmp.rows.find((r) => r.path === path && r.label === label)!;
    const f = row('cached', 'fetch_md p95');
    expect(f.delta).toBeGreaterThan(40);
    expect(f.significant).toBe(true);
    expect(f.p!).toBeLessThan(1e-6);
    expect(f.deltaPct!).toBeCloseTo((f.delta / f.a) * 100, 9);
    const h = row('cached', 'hit ratio');
    expect(h.delta).toBeLessThan(-0.4);
    expect(h.better).toBe('higher');
    expect(h.significant).toBe(true);
    // both runs' uncached paths come from the same profile: typically not significant
    expect(row('uncached', 'tick_total p50').significant).toBe(false);
  });

  it('respects alpha and reports no p-value without windows', () => {
    const a = fixture('pass');
    const b = { ...fixture('fail'), windows: { window_ms: 60_000, uncached: [], cached: [] } };
    const cmp = compareResults(a, b, { alpha: 0.01 });
    expect(cmp.alpha).toBe(0.01);
    for (const r of cmp.rows) {
      expect(r.p).toBeNull();
      expect(r.significant).toBe(false);
    }
  });
});

describe('gateComparison (compare --gate)', () => {
  it('fails on significant regressions beyond the allowance, never on ~ or improvements', () => {
    const worse = gateComparison(compareResults(fixture('pass'), fixture('fail')));
    expect(worse.verdict).toBe('fail');
    const failed = worse.rows.filter((r) => r.status === 'fail').map((r) => `${r.path} ${r.label}`);
    expect(failed).toContain('cached fetch_md p95');
    expect(failed).toContain('cached hit ratio');
    for (const r of worse.rows) {
      if (!r.significant) expect(r.status).toBe('pass');
      if (r.status === 'fail') expect(r.regressionPct === null || r.regressionPct > 5).toBe(true);
    }
    const hit = worse.rows.find((r) => r.label === 'hit ratio')!;
    expect(hit.regressionPct!).toBeCloseTo(-hit.deltaPct!, 9);
    expect(hit.regressionPct!).toBeGreaterThan(40);
    // the reverse direction is an improvement everywhere: pass
    expect(gateComparison(compareResults(fixture('fail'), fixture('pass'))).verdict).toBe('pass');
    expect(gateComparison(compareResults(fixture('pass'), fixture('pass'))).verdict).toBe('pass');
  });

  it('the allowance: a regression smaller than --max-regression-pct passes', () => {
    const cmp = compareResults(fixture('pass'), fixture('fail'));
    const worst = Math.max(...gateComparison(cmp).rows.map((r) => r.regressionPct ?? 0));
    expect(gateComparison(cmp, { maxRegressionPct: worst + 1 }).verdict).toBe('pass');
    expect(gateComparison(cmp, { maxRegressionPct: worst - 1 }).verdict).toBe('fail');
  });

  it('a row whose base is 0 fails on any significant worsening', () => {
    const row = { label: 'x', path: 'cached' as const, metric: 'm', unit: 'ms' as const, a: 0, b: 1, delta: 1, deltaPct: null, p: 0.001, significant: true, n: [10, 10] as [number, number], better: 'lower' as const };
    expect(gateComparison({ alpha: 0.05, rows: [row] }).verdict).toBe('fail');
    expect(gateComparison({ alpha: 0.05, rows: [{ ...row, significant: false, p: 0.5 }] }).verdict).toBe('pass');
  });
});
