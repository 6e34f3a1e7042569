/**
 * The shipped `ci` scenario's gates catch real regressions: each deliberately broken cache (test/sim/
 * broken-caches.ts, swapped in for the library's MDCache with vi.mock — src/ is not edited) fails the gate,
 * while the real cache passes it. Runs the library's bench exactly as `mdcache bench --scenario ci` does.
 */
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { loadBenchScenario } from '../../src/sim/bench-scenario.js';
import { runBench } from '../../src/sim/bench.js';
import type { Results } from '../../src/results/types.js';
import { BREAKAGES, brokenCacheClass, type Breakage } from './broken-caches.js';

const state = vi.hoisted(() => ({ breakage: 'none' as string }));

vi.mock('../../src/cache/md-cache.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/cache/md-cache.js')>();
  const { brokenCacheClass: make } = await import('./broken-caches.js');
  return { ...real, MDCache: make(real.MDCache as never, () => state.breakage as Breakage) };
});

const RUN = { id: 'ci-gate-test', command: 'mdcache bench --scenario ci (test)', version: '0.0.0-test', host: 'test' };

async function runCi(breakage: Breakage): Promise<Results> {
  state.breakage = breakage;
  const bench = loadBenchScenario('ci');
  const out = await runBench({ bench, durationMs: bench.scenario.duration_ms!, run: RUN });
  return out.results;
}

const summary = (r: Results) => ({
  verdict: r.verdict,
  failed: r.gates!.filter((g) => g.status !== 'pass').map((g) => `${g.name} (${g.value})`),
  refreshes_per_tick: r.paths.cached.cache!.refreshes_per_tick,
  fetch_p99: r.paths.cached.fetch_md_ms.p99,
  staleness_p99: r.paths.cached.cache!.staleness_ms.p99,
  hit_ratio: r.paths.cached.cache!.hit_ratio,
  rest_weight_per_min: r.paths.cached.rest?.weight_per_min.mean,
  rest_weight: r.paths.cached.rest?.weight,
  uncached_rest_weight_per_min: r.paths.uncached.rest?.weight_per_min.mean,
});

describe('the ci scenario gate', () => {
  const results: Partial<Record<Breakage, Results>> = {};
  beforeAll(async () => {
    for (const b of ['none', ...BREAKAGES] as const) results[b] = await runCi(b);
  }, 240_000);

  it('the real cache passes every gate', () => {
    const r = results.none!;
    expect(summary(r).failed).toEqual([]);
    expect(r.verdict).toBe('pass');
    expect(r.gates!.map((g) => g.metric)).toEqual(expect.arrayContaining(['cached.cache.refreshes_per_tick', 'cached.rest.weight_per_min.mean', 'cached.fetch_md_ms.p99', 'cached.cache.staleness_ms.p99', 'cached.cache.hit_ratio']));
    // the scenario exercises what it claims: several symbols, REST errors, faults
    expect(r.scenario.symbol_count).toBeGreaterThanOrEqual(4);
    expect(r.paths.cached.cache!.refresh_failures).toBeGreaterThan(0);
    expect(Object.keys(r.paths.cached.cache!.invalidations)).toEqual(expect.arrayContaining(['seq_gap', 'crossed']));
  });

  const expected: Record<Exclude<Breakage, 'none'>, string[]> = {
    'no-single-flight': ['cached.cache.refreshes_per_tick', 'cached.rest.weight_per_min.mean'],
    'slow-refresh': ['cached.fetch_md_ms.p99', 'cached.cache.staleness_ms.p99'],
    'no-stale-while-refresh': ['cached.cache.hit_ratio'],
  };
  for (const b of BREAKAGES) {
    it(`a cache with '${b}' fails the gate on ${expected[b].join(' and ')}`, () => {
      const r = results[b]!;
      expect(r.verdict).toBe('fail');
      const failed = r.gates!.filter((g) => g.status === 'fail').map((g) => g.metric);
      for (const m of expected[b]) expect(failed, JSON.stringify(summary(r))).toContain(m);
    });
  }

  it('the breakages are what they claim, measured against the real cache', () => {
    const real = summary(results.none!);
    expect(summary(results['no-single-flight']!).refreshes_per_tick! - real.refreshes_per_tick!).toBeGreaterThan(0.9); // ~ one extra refresh per get
    expect(summary(results['no-single-flight']!).rest_weight_per_min!).toBeGreaterThan(2 * real.rest_weight_per_min!);
    expect(summary(results['slow-refresh']!).fetch_p99 - real.fetch_p99).toBeGreaterThan(30);
    expect(summary(results['no-stale-while-refresh']!).hit_ratio).toBeLessThan(real.hit_ratio - 0.3);
  });
});
