import { describe, expect, it } from 'vitest';
import { compareResults } from '../../src/gates/compare.js';
import { fixture } from './helpers.js';

describe('compareResults', () => {
  it('a run against itself: no change, nothing significant', () => {
    const r = fixture('pass');
    const cmp = compareResults(r, r);
    expect(cmp.rows).toHaveLength(15); // 7 rows per path + hit ratio
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
