/** `mdcache sweep` as a library: grid parsing and validation, Pareto front, ranking, recommendation, and real runs on the pool. */
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/errors.js';
import { gridPoints, overridesOf, paretoFront, parseSweepParams, rankPoints, recommend, runSweep, type SweepDoc, type SweepPoint } from '../../src/sim/sweep.js';
import type { SweepMetrics } from '../../src/sim/sweep-point.js';
import { renderSweepCharts, renderSweepMarkdown, SWEEP_CHARTS } from '../../src/report/sweep.js';
import { ensureBuilt } from '../helpers/cli.js';

const m = (o: Partial<SweepMetrics>): SweepMetrics => ({ tick_total_p95: 100, fetch_md_p95: 1, hit_ratio: 0.9, fresh_ratio: 0.5, staleness_p99: 200, tob_error_p99: 3, rest_weight_per_min: 100, rest_saving: 0.5, ...o });
const pt = (params: Record<string, number | string>, metrics: Partial<SweepMetrics>, verdict: SweepPoint['verdict'] = 'pass'): SweepPoint => ({ params, verdict, gates: verdict === 'pass' ? [] : [{ name: 'g', metric: 'x', op: '<', threshold: 1, value: 2, ci: [2, 2], status: 'fail' }], metrics: m(metrics) });

function problems(f: () => unknown): string[] {
  try {
    f();
  } catch (e) {
    if (e instanceof ConfigError) return e.problems.map((p) => `${p.path}: ${p.message}`);
    throw e;
  }
  return [];
}

describe('sweep parameters', () => {
  it('parses KEY=V1,V2 (with or without md_cache.), numbers, booleans and strings, nested keys; the grid is cartesian, first key outermost', () => {
    const ps = parseSweepParams(['md_cache.ttl_ms=50,100', 'retry.base_ms=5,10', 'stale_ok=true,false'], { ttl_ms: 100 });
    expect(ps).toEqual([
      { key: 'md_cache.ttl_ms', values: [50, 100] },
      { key: 'md_cache.retry.base_ms', values: [5, 10] },
      { key: 'md_cache.stale_ok', values: [true, false] },
    ]);
    const g = gridPoints(ps);
    expect(g).toHaveLength(8);
    expect(g[0]).toEqual({ 'md_cache.ttl_ms': 50, 'md_cache.retry.base_ms': 5, 'md_cache.stale_ok': true });
    expect(g[7]).toEqual({ 'md_cache.ttl_ms': 100, 'md_cache.retry.base_ms': 10, 'md_cache.stale_ok': false });
    expect(overridesOf(g[1]!)).toEqual({ ttl_ms: 50, retry: { base_ms: 5 }, stale_ok: false });
  });

  it('reports every problem, one line each: unknown key, out of range, empty list, duplicates, not KEY=V, --jobs 0, cross-field grid points', () => {
    expect(problems(() => parseSweepParams(['ttl_ms=1,100', 'nope=1', 'max_stale_ms=', 'ttl_ms=5', 'oops', 'jump_ticks=2,2'], {}, '0'))).toEqual([
      "--jobs: invalid value '0', expected a whole number in [1, 1024]",
      '--param md_cache.ttl_ms: 1 is out of range [10, 5000]',
      expect.stringMatching(/^--param md_cache\.nope: 'nope' is not an md_cache key: unknown key/),
      '--param md_cache.max_stale_ms: empty value list; give at least one value',
      '--param md_cache.ttl_ms: given twice; list all its values in one --param',
      "--param: 'oops' is not KEY=V1,V2,… (e.g. md_cache.ttl_ms=50,100)",
      '--param md_cache.jump_ticks: a value is listed twice (2,2)',
    ]);
    expect(problems(() => parseSweepParams([], {}))).toEqual([expect.stringMatching(/^--param: missing/)]);
    expect(problems(() => parseSweepParams(['ttl_ms=100,2000'], {}))).toEqual(['--param point ttl_ms=2000: md_cache.max_stale_ms: 1000 (default) must be >= ttl_ms (2000)']);
    expect(problems(() => parseSweepParams(['ttl_ms=100,2000', 'max_stale_ms=3000'], {}))).toEqual([]);
  });
});

describe('Pareto front, ranking and the recommendation', () => {
  it('the front holds the points no other point beats on all three axes (ties stay)', () => {
    expect(paretoFront([m({ tick_total_p95: 100, tob_error_p99: 1, rest_weight_per_min: 50 }), m({ tick_total_p95: 90, tob_error_p99: 2, rest_weight_per_min: 50 }), m({ tick_total_p95: 100, tob_error_p99: 2, rest_weight_per_min: 60 }), m({ tick_total_p95: 90, tob_error_p99: 2, rest_weight_per_min: 50 })])).toEqual([0, 1, 3]);
    // an axis missing on some point is left out
    expect(paretoFront([m({ tick_total_p95: 100, tob_error_p99: 1, rest_weight_per_min: null }), m({ tick_total_p95: 100, tob_error_p99: 2, rest_weight_per_min: 1 })])).toEqual([0]);
  });

  it('recommends the best passing point on the objective, ties broken by REST weight then tick_total p95', () => {
    const pts = [pt({ a: 1 }, { tob_error_p99: 0 }, 'fail'), pt({ a: 2 }, { tob_error_p99: 1, rest_weight_per_min: 300 }), pt({ a: 3 }, { tob_error_p99: 1, rest_weight_per_min: 200, tick_total_p95: 120 }), pt({ a: 4 }, { tob_error_p99: 1, rest_weight_per_min: 200, tick_total_p95: 110 }), pt({ a: 5 }, { tob_error_p99: 2, staleness_p99: 10 })];
    const r = recommend(pts, 'tob_error');
    expect(r.recommended).toBe(3);
    expect(r.reason).toMatch(/^a=4 passes all its gates and has the lowest top-of-book error p99 \(1 ticks\) of the 4 passing point\(s\); 3 passing points tie/);
    expect(recommend(pts, 'staleness').recommended).toBe(4);
    expect(recommend(pts, 'rest_weight').recommended).toBe(4); // weight 100 (default) beats 200
    expect(rankPoints(pts, 'tob_error')).toEqual([3, 2, 1, 4, 0]);
    const none = recommend([pt({ a: 1 }, {}, 'fail')], 'tob_error');
    expect(none.recommended).toBeNull();
    expect(none.reason).toMatch(/no point passes all its gates \(1 point\(s\)\); the most common unmet gate is 'g'/);
  });
});

describe('runSweep on the worker pool (baseline, 1 minute per point)', () => {
  let one: SweepDoc;
  let two: SweepDoc;
  beforeAll(async () => {
    ensureBuilt();
    const base = { scenario: 'baseline', params: parseSweepParams(['ttl_ms=25,400', 'max_stale_ms=1000,2000'], { ttl_ms: 100 }), durationMs: 60_000, seed: 3, objective: 'tob_error' as const, hostNow: () => 0, run: { id: 't', command: 'mdcache sweep (test)', version: 'test', host: 'h', started_at: 'x' } };
    one = await runSweep({ ...base, jobs: 1 });
    two = await runSweep({ ...base, jobs: 2 });
  }, 180_000);

  it('results are identical for any --jobs (all but run)', () => {
    expect(one.run.workers).toBe(0);
    expect(two.run.workers).toBe(2);
    expect(JSON.stringify({ ...two, run: null })).toBe(JSON.stringify({ ...one, run: null }));
  });

  it('writes the documented schema: points with params, verdict, gates and metrics; pareto; recommended; reason', () => {
    expect(one.schema).toBe('mdcache.sweep/v1');
    expect(one.points).toHaveLength(4);
    expect(one.points.map((p) => p.params['md_cache.ttl_ms'])).toEqual([25, 25, 400, 400]);
    for (const p of one.points) {
      expect(Object.keys(p.metrics).sort()).toEqual(['fetch_md_p95', 'fresh_ratio', 'hit_ratio', 'rest_saving', 'rest_weight_per_min', 'staleness_p99', 'tick_total_p95', 'tob_error_p99']);
      expect(p.gates.length).toBeGreaterThan(0);
    }
    // the configuration matters: a 400 ms TTL serves many more fresh hits than 25 ms
    expect(one.points[2]!.metrics.fresh_ratio).toBeGreaterThan(one.points[0]!.metrics.fresh_ratio);
    expect(one.pareto.length).toBeGreaterThan(0);
    expect(one.recommended === null || one.points[one.recommended]!.verdict === 'pass').toBe(true);
    expect(one.reason.length).toBeGreaterThan(10);
  });

  it('sweep.md ranks the points and says what is recommended; the charts mark Pareto points and grey failing ones', () => {
    const md = renderSweepMarkdown(one);
    expect(md).toMatch(/^# mdcache sweep: baseline/);
    expect(md).toContain('| # | ttl_ms | max_stale_ms | verdict |');
    expect(md).toMatch(/## (✅ Recommended|❌ No recommendation)/);
    const charts = renderSweepCharts(one);
    expect(Object.keys(charts)).toEqual([SWEEP_CHARTS.tob, SWEEP_CHARTS.rest]);
    const svg = charts[SWEEP_CHARTS.tob]!;
    expect(svg.match(/class="point /g)).toHaveLength(4);
    expect(svg.match(/class="point [^"]*pareto/g)).toHaveLength(one.pareto.length);
    const failing = renderSweepCharts({ ...one, points: one.points.map((p) => ({ ...p, verdict: 'fail' as const })), recommended: null });
    expect(failing[SWEEP_CHARTS.tob]!.match(/fill="#bbbbbb"/g)!.length).toBeGreaterThanOrEqual(4);
  });
});
