/**
 * `rest.rate_limit` in the simulation: the simulated REST endpoint answers 429 / 418 on virtual time, a
 * 418 stops every request of that client until the ban ends, and a bench counts 429s, 418s and refused
 * calls per path — deterministically.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { VirtualClock } from '../../src/core/clock.js';
import { RateLimitError, createSimRestSource, simRestClient, type RestParams } from '../../src/market/rest.js';
import { createMarket } from '../../src/scenario/scenario.js';
import { loadBenchScenario, type BenchScenario } from '../../src/sim/bench-scenario.js';
import { runBench, type BenchOutput } from '../../src/sim/bench.js';
import { evaluateGates } from '../../src/gates/evaluate.js';

const RUN = { id: 'rate-limit', command: 'mdcache bench (test)', version: '0.0.0-test', host: 'test-host' };
const MIN = 60_000;

async function outcome(p: Promise<unknown>): Promise<{ status: number; local: boolean; retryAfterMs: number } | 'ok'> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    if (!(e instanceof RateLimitError)) throw e;
    return { status: e.status, local: e.local, retryAfterMs: e.retryAfterMs };
  }
}

describe('simulated REST endpoint with rest.rate_limit', () => {
  const base = loadBenchScenario('baseline').scenario;
  // fixed 20 ms latency: the timeline below is exact
  const rest: RestParams = { ...base.rest, latency: { model: 'constant', ms: 20 }, rate_limit: { weight_per_min: 10 } };

  it('429 once over the limit, 418 for a request sent during its Retry-After; the ban stops every request of the client until it ends', async () => {
    const clock = new VirtualClock(0);
    const market = createMarket(base, { seed: 1 });
    const client = simRestClient(rest);
    // two "symbols" of one client (one IP): separate sources, one shared window and Retry-After
    const a = createSimRestSource({ clock, market, rest, seed: 1, streamName: 'a', client });
    const b = createSimRestSource({ clock, market, rest, seed: 1, streamName: 'b', client });
    const sym = market.instruments[0]!.symbol;
    const settle = async (p: Promise<unknown>) => {
      const o = outcome(p);
      await clock.advance(20);
      return o;
    };
    expect(await settle(a.fetch(sym, 50))).toBe('ok'); // weight 5
    expect(await settle(b.fetch(sym, 50))).toBe('ok'); // weight 10 = the limit
    // two requests in flight at once: the first is over the limit (429); the second arrives during that
    // 429's Retry-After (the client had not received it yet) → banned
    const p1 = outcome(a.fetch(sym, 50));
    const p2 = outcome(b.fetch(sym, 50));
    await clock.advance(20);
    const [r1, r2] = [await p1, await p2];
    expect(r1).toEqual({ status: 429, local: false, retryAfterMs: 60_000 });
    expect(r2).toEqual({ status: 418, local: false, retryAfterMs: 120_000 });
    // the client counts the ban's 2 min from the 418's arrival (t = 60 ms): at t = 60,040 ms both sources
    // are stopped locally for 60,020 ms more, nothing is sent
    await clock.advance(59_980);
    const blocked = await outcome(a.fetch(sym, 50));
    expect(blocked).toEqual({ status: 418, local: true, retryAfterMs: 60_020 });
    expect(await outcome(b.fetch(sym, 50))).toMatchObject({ status: 418, local: true });
    expect(a.stats()).toMatchObject({ requests: 2, rateLimited: 1, banned: 0, refused: 1 });
    expect(b.stats()).toMatchObject({ requests: 2, rateLimited: 0, banned: 1, refused: 1 });
    // after the ban: served again
    await clock.advance(60_020);
    expect(await settle(a.fetch(sym, 50))).toBe('ok');
  });
});

describe('bench with rest.rate_limit', () => {
  const LIMIT = 1200;
  // The baseline (1,500 weight/min uncached) with a limit the uncached path exceeds, and a cache TTL long
  // enough to save REST requests.
  const bench = (): BenchScenario => {
    const b = loadBenchScenario('baseline');
    return { ...b, scenario: { ...b.scenario, rest: { ...b.scenario.rest, rate_limit: { weight_per_min: LIMIT } } }, mdCache: { ...b.mdCache, ttl_ms: 1000 } };
  };
  let out: BenchOutput;
  let again: BenchOutput;
  beforeAll(async () => {
    out = await runBench({ bench: bench(), durationMs: 10 * MIN, seed: 5, windowMs: MIN, run: RUN });
    again = await runBench({ bench: bench(), durationMs: 10 * MIN, seed: 5, windowMs: MIN, jobs: 2, run: RUN });
  }, 60_000);

  it('a tight limit produces 429s; the uncached path is throttled more than the cached one', () => {
    const u = out.results.paths.uncached.rest!;
    const c = out.results.paths.cached.rest!;
    expect(u.rate_limited).toBeGreaterThan(0);
    expect(u.throttled).toBe(u.rate_limited! + u.banned!);
    expect(u.refused).toBeGreaterThan(0);
    expect(u.throttled + u.refused!).toBeGreaterThan(c.throttled + c.refused!);
    // a path that waits out every Retry-After (one tick at a time) is never banned
    expect(u.banned).toBe(0);
    // refused calls fail the uncached tick's fetch
    expect(out.results.paths.uncached.fetch_errors).toBeGreaterThanOrEqual(u.refused!);
  });

  it('no 1-minute window holds more weight than the limit (only admitted requests are charged)', () => {
    for (const p of ['uncached', 'cached'] as const) {
      for (const w of out.results.windows[p]) expect(w.rest_weight!).toBeLessThanOrEqual(LIMIT);
      expect(out.results.paths[p].rest!.weight_per_min.max).toBeLessThanOrEqual(LIMIT);
    }
  });

  it('gates can name the 429 / 418 / refused counts', () => {
    const ev = evaluateGates(out.results, [
      { kind: 'absolute', metric: 'uncached.rest.rate_limited', op: '>', value: 0 },
      { kind: 'absolute', metric: 'cached.rest.banned', op: '==', value: 0 },
      { kind: 'absolute', metric: 'cached.rest.refused', op: '<', value: out.results.paths.uncached.rest!.refused! },
    ]);
    expect(ev.gates.map((g) => g.status)).toEqual(['pass', 'pass', 'pass']);
  });

  it('the results say which limit was enforced; sharding is off (one window per path); same seed → same results', () => {
    expect((out.results.scenario.rest as { rate_limit: unknown }).rate_limit).toEqual({ weight_per_min: LIMIT });
    expect(again.results.run.shards).toBeUndefined();
    expect(again.results.paths).toEqual(out.results.paths);
    expect(again.results.windows).toEqual(out.results.windows);
  });
});
