import { describe, it, expect, beforeAll } from 'vitest';
import fc from 'fast-check';
import { VirtualClock } from '../../src/core/clock.js';
import { BINANCE_DEPTH_WEIGHTS, depthLimit, requestWeight } from '../../src/market/rest-cost.js';
import { RateLimitError, RestError } from '../../src/market/rest.js';
import { RestMeter, meteredSource, ratePercentiles, restSaving } from '../../src/sim/rest-meter.js';
import { loadBenchScenario, parseBenchScenario } from '../../src/sim/bench-scenario.js';
import { runBench, type BenchOutput } from '../../src/sim/bench.js';
import { evaluateGates } from '../../src/gates/evaluate.js';
import { parseMetricPath } from '../../src/gates/metrics.js';
import { ConfigError } from '../../src/core/errors.js';

const RUN = { id: 'rest-cost', command: 'mdcache bench (test)', version: '0.0.0-test', host: 'test-host' };
const MIN = 60_000;

describe('REST weights (Binance spot depth table)', () => {
  it('weighs a request by the limit asked for: 1–100 → 5, 101–500 → 25, 501–1000 → 50, 1001–5000 → 250', () => {
    expect([1, 5, 50, 100].map((l) => requestWeight(l))).toEqual([5, 5, 5, 5]);
    expect([101, 500].map((l) => requestWeight(l))).toEqual([25, 25]);
    expect([501, 1000].map((l) => requestWeight(l))).toEqual([50, 50]);
    expect([1001, 5000, 9999].map((l) => requestWeight(l))).toEqual([250, 250, 250]);
    expect(requestWeight(7, [{ max_limit: 10, weight: 1 }, { max_limit: 100, weight: 2 }])).toBe(1);
    expect(requestWeight(11, [{ max_limit: 10, weight: 1 }, { max_limit: 100, weight: 2 }])).toBe(2);
  });

  it('a client asks for the smallest allowed limit covering the depth', () => {
    expect([1, 5, 6, 50, 51, 100, 101, 1000, 1001, 6000].map(depthLimit)).toEqual([5, 5, 10, 50, 100, 100, 500, 1000, 5000, 5000]);
    // depth 50 (the default max_depth) costs 5 weight
    expect(requestWeight(depthLimit(50))).toBe(5);
    expect(requestWeight(depthLimit(200))).toBe(25);
  });

  it('weight never decreases with the limit (property)', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 1, max: 5000 }), (a, b) => (a <= b ? requestWeight(a) <= requestWeight(b) : requestWeight(a) >= requestWeight(b))));
    expect(BINANCE_DEPTH_WEIGHTS.map((s) => s.max_limit)).toEqual([100, 500, 1000, 5000]);
  });
});

describe('RestMeter', () => {
  it('counts requests, weight and throttled responses per window and in total; rates are per minute', () => {
    const m = new RestMeter(30_000);
    m.sent(0, 50); // 5
    m.sent(29_999, 500); // 25
    m.sent(30_000, 1000); // 50 (second window)
    m.throttledAt(45_000);
    m.endMs = 60_000;
    expect(m.window(0)).toMatchObject({ requests: 2, weight: 30, throttled: 0 });
    expect(m.window(1)).toMatchObject({ requests: 1, weight: 50, throttled: 1, rate_limited: 1, banned: 0 });
    const r = m.result(0, 2);
    expect(r).toMatchObject({ requests: 3, weight: 80, throttled: 1 });
    // 30 s windows: rates double the counts
    expect(r.weight_per_min).toMatchObject({ p50: 60, max: 100, mean: 80, count: 2 });
    expect(r.requests_per_min).toMatchObject({ p50: 2, max: 4, mean: 3, count: 2 });
    // a range: the second window alone
    expect(m.result(1, 2)).toMatchObject({ requests: 1, weight: 50, throttled: 1 });
  });

  it("a partial last window's rate uses the time it covered", () => {
    const m = new RestMeter(60_000);
    for (let i = 0; i < 10; i++) m.sent(60_000 + i, 50);
    m.endMs = 90_000; // the second window covers 30 s
    const r = m.result(0, 2);
    expect(r.weight_per_min.max).toBe(100); // 50 weight in half a minute
    expect(r.weight_per_min.mean).toBeCloseTo(50 / 1.5, 3);
  });

  it('requests sent after the end (ticks due before it that started late) count in the last window, once, and shards agree', () => {
    const m = new RestMeter(1_000);
    m.sent(500, 50); // window 0
    m.sent(2_100, 50); // window 2: the run's last (it ends at 2.5 s)
    m.sent(2_600, 50); // after the end: window 2 of a 2.5 s run
    m.sent(4_200, 50); // a late retry, two windows past it
    m.throttledAt(3_100, 429);
    m.end(2_500);
    m.end(2_500); // idempotent
    const r = m.result(0, 3);
    expect([r.requests, r.weight, r.throttled]).toEqual([4, 20, 1]);
    expect([m.window(0).requests, m.window(1).requests, m.window(2).requests, m.window(3).requests]).toEqual([1, 0, 3, 0]);
    // two shards' meters folded on their own, then absorbed and ended again, equal one meter over both
    const a = new RestMeter(1_000);
    const b = new RestMeter(1_000);
    a.sent(500, 50);
    a.sent(4_200, 50);
    b.sent(2_100, 50);
    b.sent(2_600, 50);
    a.end(2_500);
    b.end(2_500);
    const merged = new RestMeter(1_000);
    merged.absorb(a.serialize());
    merged.absorb(b.serialize());
    merged.end(2_500);
    expect(merged.result(0, 3)).toEqual({ ...r, throttled: 0, rate_limited: 0 });
  });

  it('percentiles are nearest-rank window rates; mean is total / minutes', () => {
    expect(ratePercentiles([], 0, 0)).toEqual({ p50: 0, p90: 0, p95: 0, p99: 0, p999: 0, max: 0, mean: 0, count: 0 });
    const p = ratePercentiles([3, 1, 2, 4], 10, 4);
    expect(p).toMatchObject({ p50: 2, p90: 4, max: 4, mean: 2.5, count: 4 });
  });

  it('saving is 1 − requests / uncached requests', () => {
    const u = new RestMeter(60_000);
    const c = new RestMeter(60_000);
    for (let i = 0; i < 10; i++) u.sent(i, 50);
    for (let i = 0; i < 3; i++) c.sent(i, 50);
    expect(restSaving(u.result(0, 1), c.result(0, 1))).toBe(0.7);
    expect(restSaving(new RestMeter(60_000).result(0, 1), c.result(0, 1))).toBeUndefined();
  });
});

describe('meteredSource', () => {
  it('counts what was sent (weight by limit; a 429/418 is not charged), 429/418 as throttled, and a local refusal during a Retry-After as refused only', async () => {
    const clock = new VirtualClock(0);
    const m = new RestMeter(60_000);
    const outcomes: (() => Promise<string>)[] = [
      async () => 'book',
      async () => {
        throw new RateLimitError('HTTP 429', 1000, 429);
      },
      async () => {
        throw new RateLimitError('refused locally', 900, 429, undefined, true);
      },
      async () => {
        throw new RateLimitError('HTTP 418', 120_000, 418);
      },
      async () => {
        throw new RestError('HTTP 503', 503);
      },
    ];
    let i = 0;
    const src = meteredSource({ fetch: () => outcomes[i++]!() }, m, clock);
    await expect(src.fetch('X', 50)).resolves.toBe('book');
    await expect(src.fetch('X', 200)).rejects.toThrow('429');
    await expect(src.fetch('X', 50)).rejects.toThrow('locally');
    await expect(src.fetch('X', 50)).rejects.toThrow('418');
    await expect(src.fetch('X', 1000)).rejects.toThrow('503');
    expect(m.requests).toBe(4);
    expect(m.weight).toBe(5 + 50);
    expect(m.throttled).toBe(2);
    expect([m.rate_limited, m.banned, m.refused]).toEqual([1, 1, 1]);
  });

  it('an already-aborted call sends nothing and is not counted', async () => {
    const clock = new VirtualClock(0);
    const m = new RestMeter(60_000);
    const src = meteredSource({ fetch: async (_s, _d, signal) => (signal?.aborted ? Promise.reject(new Error('aborted')) : 'ok') }, m, clock);
    const ac = new AbortController();
    ac.abort();
    await expect(src.fetch('X', 50, ac.signal)).rejects.toThrow('aborted');
    expect(m.requests).toBe(0);
  });
});

describe('REST cost in a bench', () => {
  let out: BenchOutput;
  beforeAll(async () => {
    out = await runBench({ bench: loadBenchScenario('baseline'), durationMs: 5 * MIN, seed: 3, run: RUN });
  });

  it('every path reports requests, weight, throttled and per-minute rates; windows sum to the totals', () => {
    const { results } = out;
    for (const p of ['uncached', 'cached'] as const) {
      const rest = results.paths[p].rest!;
      expect(rest.requests).toBeGreaterThan(0);
      // depth 50 → limit 50 → weight 5 each
      expect(rest.weight).toBe(5 * rest.requests);
      expect(rest.throttled).toBe(0);
      expect(rest.weight_per_min.count).toBe(results.windows[p].length);
      const ws = results.windows[p];
      expect(ws.reduce((s, w) => s + (w.rest_requests ?? 0), 0)).toBe(rest.requests);
      expect(ws.reduce((s, w) => s + (w.rest_weight ?? 0), 0)).toBe(rest.weight);
      expect(rest.weight_per_min.mean).toBeCloseTo(rest.weight / 5, 2);
      expect(rest.weight_per_min.max).toBeGreaterThanOrEqual(rest.weight_per_min.p50);
    }
    // the uncached path fetches once per tick
    expect(results.paths.uncached.rest!.requests).toBe(results.paths.uncached.ticks);
    const c = results.paths.cached.rest!;
    expect(c.saving).toBeCloseTo(1 - c.requests / results.paths.uncached.rest!.requests, 6);
    expect(results.paths.uncached.rest!.saving).toBeUndefined();
  });

  it('rest.* metrics are gate metrics on every path; cached.rest.saving only on the cached path', () => {
    expect(parseMetricPath('uncached.rest.weight_per_min.max')?.info.unit).toBe('count');
    expect(parseMetricPath('cached.rest.saving')?.info.unit).toBe('ratio');
    expect(parseMetricPath('uncached.rest.saving')).toBeUndefined();
    const ev = evaluateGates(out.results, [
      { kind: 'absolute', metric: 'cached.rest.weight_per_min.max', op: '<=', value: 3000 },
      { kind: 'absolute', metric: 'uncached.rest.throttled', op: '==', value: 0 },
      { kind: 'absolute', metric: 'cached.rest.saving', op: '>=', value: 0.5 },
      { kind: 'regression_pct', metric: 'rest.requests', op: '<=', value: -50 },
    ]);
    expect(ev.gates.map((g) => g.status)).toEqual(['pass', 'pass', 'fail', 'fail']);
    expect(ev.gates[0]!.value).toBe(out.results.paths.cached.rest!.weight_per_min.max);
  });

  it('a scenario weight schedule changes the weight, not the requests', async () => {
    const bench = parseBenchScenario({ name: 'w', symbols: [{ symbol: 'BTCUSDT', tick_size: '0.01', price: '50000.00' }], rest: { weights: [{ max_limit: 50, weight: 2 }, { max_limit: 5000, weight: 9 }] }, pipeline: { ticks: { arrival: 'fixed', rate_hz: 2 } } });
    const r = (await runBench({ bench, durationMs: MIN, seed: 1, run: RUN })).results;
    expect(r.paths.uncached.rest!.weight).toBe(2 * r.paths.uncached.rest!.requests);
    expect((r.scenario.rest as { budget: unknown }).budget).toEqual({ weight_per_min: 6000 });
  });
});

describe('rest.budget / rest.weights / rest.rate_limit validation', () => {
  const base = { name: 'x', symbols: [{ symbol: 'BTCUSDT', tick_size: '0.01', price: '50000.00' }] };
  const problems = (rest: unknown): string[] => {
    try {
      parseBenchScenario({ ...base, rest });
    } catch (e) {
      if (e instanceof ConfigError) return e.problems.map((p) => `${p.path}: ${p.message}`);
      throw e;
    }
    return [];
  };

  it('accepts the defaults and explicit values', () => {
    const s = parseBenchScenario({ ...base, rest: { budget: { weight_per_min: 1200 }, rate_limit: null } }).scenario;
    expect(s.rest.budget).toEqual({ weight_per_min: 1200 });
    expect(s.rest.rate_limit).toBeNull();
    expect(parseBenchScenario({ ...base, rest: { rate_limit: { weight_per_min: 1200 } } }).scenario.rest.rate_limit).toEqual({ weight_per_min: 1200 });
    expect(problems({ rate_limit: { weight_per_min: 1200 } })).toEqual([]);
    expect(s.rest.weights).toEqual(BINANCE_DEPTH_WEIGHTS);
    expect(parseBenchScenario(base).scenario.rest.rate_limit).toBeNull();
  });

  it('names every problem', () => {
    expect(problems({ budget: { weight_per_min: 0 } })).toEqual(['rest.budget.weight_per_min: 0 must be greater than 0']);
    expect(problems({ budget: { weight: 5 } })[0]).toMatch(/^rest\.budget\.weight: unknown key \(did you mean 'weight_per_min'\?\)/);
    expect(problems({ weights: [] })).toEqual(['rest.weights: needs at least one step, e.g. [{ max_limit: 100, weight: 5 }, { max_limit: 5000, weight: 250 }]']);
    expect(problems({ weights: [{ max_limit: 500, weight: 25 }, { max_limit: 100, weight: 5 }] })).toEqual([
      "rest.weights[1].max_limit: 100 must be greater than the previous step's max_limit (500); list steps in ascending order",
    ]);
    expect(problems({ weights: [{ max_limit: 100 }, { max_limit: 1.5, weight: -1 }] })).toEqual([
      'rest.weights[0].weight: missing; the request weight, e.g. 5',
      'rest.weights[1].max_limit: 1.5 is not a whole number',
      'rest.weights[1].weight: -1 is out of range [0, 1000000]',
    ]);
    expect(problems({ rate_limit: {} })[0]).toMatch(/^rest\.rate_limit\.weight_per_min: missing/);
    const allowed = "expected a weight per rolling minute > 0 and ≤ 100000000, e.g. 6000 (Binance spot's REQUEST_WEIGHT per IP)";
    expect(problems({ rate_limit: { weight_per_min: 0 } })).toEqual([`rest.rate_limit.weight_per_min: invalid value 0; ${allowed}`]);
    expect(problems({ rate_limit: { weight_per_min: 'lots' } })).toEqual([`rest.rate_limit.weight_per_min: invalid value 'lots'; ${allowed}`]);
    expect(problems({ rate_limit: { weight_per_min: -5 } })).toEqual([`rest.rate_limit.weight_per_min: invalid value -5; ${allowed}`]);
    expect(problems({ rate_limit: { weight_per_min: null } })[0]).toMatch(/^rest\.rate_limit\.weight_per_min: missing; a weight per rolling minute/);
    expect(problems({ rate_limit: 6000 })).toEqual(['rest.rate_limit: expected a mapping, got 6000']);
    expect(problems({ ratelimit: {} })[0]).toMatch(/^rest\.ratelimit: unknown key \(did you mean 'rate_limit'\?\)/);
  });
});
