import { describe, it, expect } from 'vitest';
import { Registry, register as globalRegister } from 'prom-client';
import { VirtualClock } from '../../src/core/clock.js';
import { RefreshError, TimeoutError } from '../../src/core/errors.js';
import { mdCacheConfig } from '../../src/config/md-cache.js';
import { MDCache } from '../../src/cache/md-cache.js';
import { FakeRefresh, flush, setup, track, type Book } from './helpers.js';

describe('seed cases', () => {
  it('test_miss_on_first_call', async () => {
    const { clock, refresh, cache } = setup();
    const p = cache.get('BTC-USD');
    expect(refresh.count()).toBe(1);
    await clock.advance(10);
    const r = await p;
    expect(r).toEqual({ value: { symbol: 'BTC-USD', call: 1, depth: 50 }, status: 'miss', ageMs: 0 });
    expect(cache.stats('BTC-USD').misses).toBe(1);
  });

  it('test_hit_within_ttl', async () => {
    const { clock, refresh, cache } = setup({ ttl_ms: 100 });
    const p = cache.get('A');
    await clock.advance(10);
    await p;
    await clock.advance(60);
    const r = await cache.get('A');
    expect(r.status).toBe('fresh');
    expect(r.ageMs).toBe(60);
    expect(r.value.call).toBe(1);
    expect(refresh.count()).toBe(1);
  });

  it('test_entry_age', async () => {
    const { clock, cache } = setup();
    const p = cache.get('A');
    await clock.advance(10); // refresh takes 10 ms; age counts from its completion
    await p;
    expect(cache.peek('A')?.ageMs).toBe(0);
    await clock.advance(42);
    expect(cache.peek('A')?.ageMs).toBe(42);
    expect(cache.stats('A').ageMs).toBe(42);
    expect((await cache.get('A')).ageMs).toBe(42);
    expect(cache.stats().ageMs).toBe(42);
  });

  it('test_entry_is_stale', async () => {
    const { clock, cache } = setup({ ttl_ms: 100 });
    const p = cache.get('A');
    await clock.advance(10);
    await p;
    await clock.advance(100);
    expect((await cache.get('A')).status).toBe('fresh'); // age == ttl: still fresh
    await clock.advance(1);
    const r = await cache.get('A');
    expect(r.status).toBe('stale');
    expect(r.ageMs).toBe(101);
  });

  it('test_invalidate', async () => {
    const { clock, refresh, cache } = setup();
    const p = cache.get('A');
    await clock.advance(10);
    await p;
    cache.invalidate('A', 'ws_gap');
    expect(cache.peek('A')).toBeUndefined();
    const q = cache.get('A');
    expect(refresh.count()).toBe(2);
    await clock.advance(10);
    const r = await q;
    expect(r.status).toBe('miss');
    expect(r.value.call).toBe(2);
    expect(cache.stats('A').invalidations).toEqual({ ws_gap: 1 });
    expect(cache.stats().invalidations).toEqual({ ws_gap: 1 });
  });

  it('test_invalidate_all', async () => {
    const { clock, refresh, cache } = setup();
    const ps = ['A', 'B', 'C'].map((s) => cache.get(s));
    await clock.advance(10);
    await Promise.all(ps);
    cache.invalidateAll('reconnect');
    for (const s of ['A', 'B', 'C']) expect(cache.peek(s)).toBeUndefined();
    const qs = ['A', 'B', 'C'].map((s) => cache.get(s));
    expect(refresh.count()).toBe(6);
    await clock.advance(10);
    for (const r of await Promise.all(qs)) expect(r.status).toBe('miss');
    expect(cache.stats('B').invalidations).toEqual({ reconnect: 1 });
  });

  it('test_metrics_summary', async () => {
    const { clock, cache, registry } = setup({ ttl_ms: 100, max_stale_ms: 1000 });
    const p = cache.get('A');
    await clock.advance(10);
    await p; // miss
    await cache.get('A'); // fresh
    await cache.get('A'); // fresh
    await clock.advance(150);
    await cache.get('A'); // stale (starts a background refresh)
    await clock.advance(10);
    const s = cache.stats('A');
    expect(s).toMatchObject({ gets: 4, hits: 2, staleHits: 1, misses: 1, bypasses: 0, refreshes: 2, refreshFailures: 0 });
    expect(s.hitRatio).toBeCloseTo(0.75);
    expect(s.freshRatio).toBeCloseTo(0.5);
    expect(s.staleRatio).toBeCloseTo(0.25);
    expect(s.refreshLatencyMs).toEqual({ p50: 10, p95: 10, p99: 10, max: 10 });
    const all = cache.stats();
    expect(all.gets).toBe(4);
    expect(all.refreshLatencyMs.p99).toBeCloseTo(10, 1);
    const text = await registry!.metrics();
    expect(text).toContain('mm_md_cache_hit_total{symbol="A"} 3');
    expect(text).toContain('mm_md_cache_miss_total{symbol="A"} 1');
    expect(text).toContain('mm_md_cache_stale_served_total{symbol="A"} 1');
    expect(text).toContain('mm_md_cache_hit_ratio{symbol="A"} 0.75');
    expect(text).toContain('mm_md_cache_age_ms{symbol="A"} 0');
    expect(text).toContain('mm_md_refresh_latency_ms_count 2');
    expect(text).toContain('mm_md_refresh_latency_ms_bucket{le="10"} 2');
    expect(text).toContain('mm_md_refresh_failures_total{symbol="A"} 0');
    expect(text).toContain('mm_md_cache_evictions_total 0');
  });

  it('test_cache_disabled', async () => {
    const { clock, refresh, cache } = setup({ enabled: false });
    for (let i = 0; i < 3; i++) {
      const p = cache.get('A');
      await clock.advance(10);
      const r = await p;
      expect(r.status).toBe('bypass');
      expect(r.value.call).toBe(i + 1);
    }
    expect(refresh.count()).toBe(3);
    expect(cache.peek('A')).toBeUndefined();
    expect(cache.stats()).toMatchObject({ gets: 3, bypasses: 3, hits: 0, misses: 0, hitRatio: 0 });
  });

  it('test_stale_while_refresh', async () => {
    const { clock, refresh, cache } = setup({ ttl_ms: 100, stale_ok: true });
    const p = cache.get('A');
    await clock.advance(10);
    await p;
    await clock.advance(200);
    const r = await cache.get('A');
    expect(r).toMatchObject({ status: 'stale', ageMs: 200 });
    expect(r.value.call).toBe(1);
    expect(refresh.count()).toBe(2); // background refresh started
    const r2 = await cache.get('A'); // still stale; no second refresh while one is in flight
    expect(r2.status).toBe('stale');
    expect(refresh.count()).toBe(2);
    await clock.advance(10);
    const r3 = await cache.get('A');
    expect(r3).toMatchObject({ status: 'fresh', ageMs: 0 });
    expect(r3.value.call).toBe(2);
  });
});

describe('freshness', () => {
  it('maxAgeMs overrides ttl_ms for one call', async () => {
    const { clock, refresh, cache } = setup({ ttl_ms: 100, stale_ok: false });
    const p = cache.get('A');
    await clock.advance(10);
    await p;
    await clock.advance(30);
    expect((await cache.get('A', { maxAgeMs: 30 })).status).toBe('fresh');
    const q = cache.get('A', { maxAgeMs: 20 });
    expect(refresh.count()).toBe(2);
    await clock.advance(10);
    expect((await q).status).toBe('miss');
  });

  it('stale_ok false: an expired entry makes the caller wait (miss)', async () => {
    const { clock, refresh, cache } = setup({ ttl_ms: 100, stale_ok: false });
    const p = cache.get('A');
    await clock.advance(10);
    await p;
    await clock.advance(150);
    const q = track(cache.get('A'));
    await flush();
    expect(q.settled).toBe(false);
    expect(refresh.count()).toBe(2);
    await clock.advance(10);
    expect(q.value).toMatchObject({ status: 'miss', ageMs: 0 });
    expect(q.value!.value.call).toBe(2);
  });

  it('max_stale_ms is a hard bound: an older entry is never served, even with stale_ok', async () => {
    const { clock, refresh, cache } = setup({ ttl_ms: 100, max_stale_ms: 500, stale_ok: true });
    const p = cache.get('A');
    await clock.advance(10);
    await p;
    await clock.advance(500);
    expect((await cache.get('A')).status).toBe('stale'); // age 500 == bound: still servable
    await clock.advance(10); // background refresh lands
    await clock.advance(501);
    const q = track(cache.get('A'));
    await flush();
    expect(q.settled).toBe(false);
    await clock.advance(10);
    expect(q.value!.status).toBe('miss');
    expect(refresh.count()).toBe(3);
  });

  it('maxAgeMs larger than max_stale_ms does not extend the bound', async () => {
    const { clock, cache } = setup({ ttl_ms: 100, max_stale_ms: 200, stale_ok: false });
    const p = cache.get('A');
    await clock.advance(10);
    await p;
    await clock.advance(300);
    const q = track(cache.get('A', { maxAgeMs: 10_000 }));
    await flush();
    expect(q.settled).toBe(false);
    await clock.advance(10);
    expect(q.value!.status).toBe('miss');
  });
});

describe('single-flight and hedging', () => {
  it('1,000 concurrent gets on a cold symbol cause exactly one refresh', async () => {
    const { clock, refresh, cache } = setup();
    const ps = Array.from({ length: 1000 }, () => cache.get('A'));
    expect(refresh.count()).toBe(1);
    await clock.advance(10);
    const rs = await Promise.all(ps);
    expect(rs.every((r) => r.status === 'miss' && r.value.call === 1)).toBe(true);
    expect(cache.stats('A')).toMatchObject({ gets: 1000, misses: 1000, refreshes: 1 });
  });

  it('hedge_after_ms with max_inflight_refresh 1 is a configuration error (no silent hedge)', () => {
    expect(() => setup({ max_inflight_refresh: 1, hedge_after_ms: 20 })).toThrow(/hedge_after_ms: 20 needs max_inflight_refresh >= 2/);
  });

  it('a refresh slower than hedge_after_ms starts a hedged one; first success wins; the loser is aborted', async () => {
    const { clock, refresh, cache } = setup({ max_inflight_refresh: 2, hedge_after_ms: 50, refresh_timeout_ms: 10_000 }, { autoMs: undefined });
    const p = track(cache.get('A'));
    expect(refresh.count()).toBe(1);
    await clock.advance(49);
    expect(refresh.count()).toBe(1);
    await clock.advance(1);
    expect(refresh.count()).toBe(2); // hedged
    await clock.advance(500);
    expect(refresh.count()).toBe(2); // never more than the limit
    refresh.calls[1]!.resolve(); // the hedge wins
    await flush();
    expect(p.value).toMatchObject({ status: 'miss' });
    expect(p.value!.value.call).toBe(2);
    expect(refresh.calls[0]!.signal.aborted).toBe(true);
    expect(refresh.calls[1]!.signal.aborted).toBe(false);
    expect((await cache.get('A')).value.call).toBe(2);
    expect(refresh.maxInflight.get('A')).toBe(2);
  });

  it('hedging up to the limit: three runners at most with max_inflight_refresh 3', async () => {
    const { clock, refresh, cache } = setup({ max_inflight_refresh: 3, hedge_after_ms: 20, refresh_timeout_ms: 10_000 }, { autoMs: undefined });
    const p = track(cache.get('A'));
    await clock.advance(1000);
    expect(refresh.count()).toBe(3);
    expect(refresh.maxInflight.get('A')).toBe(3);
    refresh.calls[0]!.resolve();
    await flush();
    expect(p.value!.value.call).toBe(1);
    expect(refresh.pending().length).toBe(0);
    expect(clock.pending()).toBe(0); // no hedge timer left behind
  });
});

describe('invalidation wins over in-flight refreshes', () => {
  it('a background refresh started before invalidate() is aborted and never repopulates', async () => {
    const { clock, refresh, cache } = setup({ ttl_ms: 100 }, { autoMs: undefined });
    const p = cache.get('A');
    refresh.calls[0]!.resolve();
    await p;
    await clock.advance(150);
    expect((await cache.get('A')).status).toBe('stale'); // background refresh #2 starts
    cache.invalidate('A', 'seq_gap');
    expect(refresh.calls[1]!.signal.aborted).toBe(true);
    refresh.calls[1]!.resolve(); // too late: ignored
    await flush();
    expect(cache.peek('A')).toBeUndefined();
    const q = track(cache.get('A'));
    expect(refresh.count()).toBe(3);
    refresh.calls[2]!.resolve();
    await flush();
    expect(q.value).toMatchObject({ status: 'miss' });
    expect(q.value!.value.call).toBe(3);
  });

  it('callers waiting before the invalidation get the old result; it does not repopulate the cache', async () => {
    const { refresh, cache } = setup({}, { autoMs: undefined });
    const w1 = track(cache.get('A'));
    cache.invalidate('A', 'jump');
    refresh.calls[0]!.resolve();
    await flush();
    expect(w1.value!.value.call).toBe(1);
    expect(cache.peek('A')).toBeUndefined();
    const w2 = track(cache.get('A'));
    expect(refresh.count()).toBe(2);
    refresh.calls[1]!.resolve();
    await flush();
    expect(w2.value).toMatchObject({ status: 'miss' });
    expect(w2.value!.value.call).toBe(2);
  });

  it('a get after the invalidation never receives a pre-invalidation result (limit 2: both run)', async () => {
    const { refresh, cache } = setup({ max_inflight_refresh: 2 }, { autoMs: undefined });
    const w1 = track(cache.get('A'));
    cache.invalidate('A', 'manual');
    const w2 = track(cache.get('A'));
    expect(refresh.count()).toBe(2);
    refresh.calls[0]!.resolve(); // the old one lands first
    await flush();
    expect(w1.value!.value.call).toBe(1);
    expect(w2.settled).toBe(false);
    expect(cache.peek('A')).toBeUndefined();
    refresh.calls[1]!.resolve();
    await flush();
    expect(w2.value!.value.call).toBe(2);
    expect(cache.peek('A')!.value.call).toBe(2);
  });

  it('with a single slot the new refresh preempts the old one and earlier waiters move to it', async () => {
    const { refresh, cache } = setup({ max_inflight_refresh: 1 }, { autoMs: undefined });
    const w1 = track(cache.get('A'));
    cache.invalidate('A', 'manual');
    const w2 = track(cache.get('A'));
    expect(refresh.count()).toBe(2);
    expect(refresh.calls[0]!.signal.aborted).toBe(true);
    expect(refresh.maxInflight.get('A')).toBe(1);
    refresh.calls[1]!.resolve();
    await flush();
    expect(w1.value!.value.call).toBe(2);
    expect(w2.value!.value.call).toBe(2);
  });

  it('invalidateAll guards every symbol', async () => {
    const { refresh, cache } = setup({}, { autoMs: undefined });
    const a = track(cache.get('A'));
    const b = track(cache.get('B'));
    cache.invalidateAll('reconnect');
    refresh.calls[0]!.resolve();
    refresh.calls[1]!.resolve();
    await flush();
    expect(a.value!.value.call).toBe(1);
    expect(b.value!.value.call).toBe(2);
    expect(cache.peek('A')).toBeUndefined();
    expect(cache.peek('B')).toBeUndefined();
    // one invalidation per held symbol (A and B), the same count per symbol and overall
    expect(cache.stats().invalidations).toEqual({ reconnect: 2 });
    expect(cache.stats('A').invalidations).toEqual({ reconnect: 1 });
  });

  it('invalidating a symbol the cache does not hold counts nothing and is harmless', () => {
    const { cache } = setup();
    cache.invalidate('NOPE', 'crossed');
    cache.invalidateAll('reconnect'); // nothing held: nothing invalidated
    expect(cache.stats().invalidations).toEqual({});
    expect(cache.size).toBe(0);
  });
});

describe('refresh failures', () => {
  it('retries with exponential backoff and full jitter on the injected clock', async () => {
    // random() = 1 ⇒ the delay is the cap: min(max_ms, base_ms * 2^(n-1)) = 10, 20, 40, 40
    const { clock, refresh, cache } = setup(
      { retry: { max_attempts: 5, base_ms: 10, max_ms: 40 }, refresh_timeout_ms: 1000 },
      { autoMs: 0, random: () => 1 },
    );
    refresh.failNext = 4;
    const p = cache.get('A');
    await clock.runUntilIdle();
    const r = await p;
    expect(r.value.call).toBe(5);
    expect(refresh.calls.map((c) => c.startedAt)).toEqual([0, 10, 30, 70, 110]);
    expect(cache.stats('A')).toMatchObject({ refreshes: 5, refreshFailures: 4, misses: 1 });
  });

  it("waits at least a rate limit's retryAfterMs (within retry.max_ms) before the next attempt", async () => {
    // random() = 0.25 ⇒ jitter 2.5 ms; the error says "retry after 300 ms" (≤ max_ms 400), which wins.
    const { clock, refresh, cache } = setup({ retry: { max_attempts: 3, base_ms: 10, max_ms: 400 }, refresh_timeout_ms: 1000 }, { autoMs: undefined, random: () => 0.25 });
    const p = cache.get('A');
    await clock.advance(5);
    refresh.calls[0]!.reject(Object.assign(new Error('HTTP 429'), { retryAfterMs: 300 }));
    await clock.advance(1000);
    refresh.calls[1]!.resolve();
    await clock.runUntilIdle();
    expect((await p).value.call).toBe(2);
    expect(refresh.calls.map((c) => c.startedAt)).toEqual([0, 305]);
  });

  it('jitter draws uniformly below the cap (random = 0.25)', async () => {
    const { clock, refresh, cache } = setup({ retry: { max_attempts: 3, base_ms: 100, max_ms: 1000 } }, { autoMs: 0, random: () => 0.25 });
    refresh.failNext = 2;
    const p = cache.get('A');
    await clock.runUntilIdle();
    await p;
    expect(refresh.calls.map((c) => c.startedAt)).toEqual([0, 25, 75]);
  });

  it('the default jitter source is seeded: two caches retry at identical times', async () => {
    const times: number[][] = [];
    for (let k = 0; k < 2; k++) {
      const clock = new VirtualClock();
      const refresh = new FakeRefresh(clock, 0, 3);
      const cache = new MDCache<Book>(mdCacheConfig({ enabled: true, retry: { max_attempts: 4, base_ms: 50, max_ms: 1000 } }), {
        refresh: refresh.fn,
        clock,
        registry: null,
      });
      const p = cache.get('A');
      await clock.runUntilIdle();
      await p;
      times.push(refresh.calls.map((c) => c.startedAt));
    }
    expect(times[0]).toEqual(times[1]);
    expect(new Set(times[0]).size).toBe(4);
  });

  it('each attempt is bounded by refresh_timeout_ms: its signal aborts and it fails with TimeoutError', async () => {
    const { clock, refresh, cache } = setup({ refresh_timeout_ms: 100, retry: { max_attempts: 2, base_ms: 0, max_ms: 0 } }, { autoMs: undefined });
    const p = track(cache.get('A'));
    await clock.advance(100);
    expect(refresh.calls[0]!.signal.aborted).toBe(true);
    expect(refresh.calls[0]!.signal.reason).toBeInstanceOf(TimeoutError);
    expect(refresh.count()).toBe(2);
    await clock.advance(100);
    expect(p.error).toBeInstanceOf(RefreshError);
    const err = p.error as RefreshError;
    expect(err.attempts).toBe(2);
    expect(err.symbol).toBe('A');
    expect(err.cause).toBeInstanceOf(TimeoutError);
  });

  it('all attempts failing: a waiting caller gets a RefreshError carrying the cause; getOrderbook gives undefined', async () => {
    const { clock, refresh, cache } = setup({ retry: { max_attempts: 3 } }, { autoMs: 5 });
    refresh.failNext = 100;
    const p = track(cache.get('A'));
    const q = track(cache.getOrderbook('A'));
    await clock.runUntilIdle();
    expect(p.error).toBeInstanceOf(RefreshError);
    expect((p.error as RefreshError).attempts).toBe(3);
    expect(((p.error as RefreshError).cause as Error).message).toBe('refresh 3 failed');
    expect(q.settled).toBe(true);
    expect(q.value).toBeUndefined();
    expect(q.error).toBeUndefined();
    expect(cache.stats('A')).toMatchObject({ misses: 2, refreshFailures: 3 });
  });

  it('a refresh that throws synchronously is a failed attempt, not a crash', async () => {
    const clock = new VirtualClock();
    let n = 0;
    const cache = new MDCache<number>(mdCacheConfig({ enabled: true, retry: { max_attempts: 2, base_ms: 1, max_ms: 1 } }), {
      clock,
      registry: null,
      refresh: () => {
        if (n++ === 0) throw new Error('boom');
        return Promise.resolve(7);
      },
    });
    const p = cache.get('A');
    await clock.runUntilIdle();
    expect((await p).value).toBe(7);
  });

  it('stale-if-error: while retrying, a waiting caller is served the expired entry within max_stale_ms', async () => {
    const { clock, refresh, cache } = setup({ ttl_ms: 100, max_stale_ms: 1000, stale_ok: false, retry: { max_attempts: 3, base_ms: 50, max_ms: 50 } }, { autoMs: 10 });
    const p = cache.get('A');
    await clock.advance(10);
    await p;
    await clock.advance(200);
    refresh.failNext = 1;
    const q = track(cache.get('A'));
    await clock.advance(10); // first attempt fails
    expect(q.value).toMatchObject({ status: 'stale', ageMs: 210 });
    const r = await cache.get('A'); // retrying: stale served at once even with stale_ok false
    expect(r.status).toBe('stale');
    await clock.runUntilIdle();
    expect((await cache.get('A')).status).toBe('fresh');
  });

  it('background refresh failures are counted, not thrown', async () => {
    const { clock, refresh, cache } = setup({ ttl_ms: 100, max_stale_ms: 10_000, retry: { max_attempts: 2 } }, { autoMs: 10 });
    const p = cache.get('A');
    await clock.advance(10);
    await p;
    await clock.advance(200);
    refresh.failNext = 2;
    expect((await cache.get('A')).status).toBe('stale');
    await clock.runUntilIdle();
    expect(cache.stats('A').refreshFailures).toBe(2);
    expect((await cache.get('A')).status).toBe('stale'); // still the old value; a new background refresh starts
    await clock.runUntilIdle();
    expect((await cache.get('A')).status).toBe('fresh');
  });
});

describe('LRU bound', () => {
  it('evicts the least recently used symbol', async () => {
    const { clock, cache, registry } = setup({ max_symbols: 3 });
    for (const s of ['A', 'B', 'C']) {
      const p = cache.get(s);
      await clock.advance(10);
      await p;
    }
    await cache.get('A'); // touch A: B is now the least recently used
    const p = cache.get('D');
    await clock.advance(10);
    await p;
    expect(cache.size).toBe(3);
    expect(cache.peek('B')).toBeUndefined();
    expect(cache.peek('A')).toBeDefined();
    expect(cache.stats().evictions).toBe(1);
    const text = await registry!.metrics();
    expect(text).not.toContain('symbol="B"');
    expect(text).toContain('mm_md_cache_hit_total{symbol="A"} 1');
    expect(text).toContain('mm_md_cache_evictions_total 1');
  });

  it('peek does not touch LRU order', async () => {
    const { clock, cache } = setup({ max_symbols: 2 });
    for (const s of ['A', 'B']) {
      const p = cache.get(s);
      await clock.advance(10);
      await p;
    }
    cache.peek('A');
    const p = cache.get('C');
    await clock.advance(10);
    await p;
    expect(cache.peek('A')).toBeUndefined();
    expect(cache.peek('B')).toBeDefined();
    expect(cache.stats('B').gets).toBe(1); // peek counted nothing
  });

  it('memory stays bounded under churn of 20,000 symbols', async () => {
    const clock = new VirtualClock();
    let calls = 0;
    const cache = new MDCache<number>(mdCacheConfig({ enabled: true, max_symbols: 100 }), {
      clock,
      registry: null,
      refresh: () => Promise.resolve(++calls),
    });
    for (let i = 0; i < 20_000; i++) {
      await cache.get(`S${i}`);
      if (i % 50 === 0) await cache.get('HOT'); // a hot symbol survives the churn
      expect(cache.size).toBeLessThanOrEqual(100);
    }
    expect(cache.stats().evictions).toBeGreaterThanOrEqual(19_900);
    expect(calls).toBe(20_000 + 1);
    expect(clock.pending()).toBe(0); // no timers left behind
    expect(cache.stats('HOT').hits).toBe(399);
  });

  it('the bound is restored after a burst of waited-on misses exceeded it', async () => {
    const { clock, cache } = setup({ max_symbols: 10 }, { autoMs: 5 });
    const burst = Array.from({ length: 50 }, (_, i) => cache.get(`B${i}`));
    expect(cache.size).toBe(50); // every one has a waiting caller: none evictable yet
    await clock.advance(5);
    await Promise.all(burst);
    const p = cache.get('NEXT');
    expect(cache.size).toBe(10);
    await clock.advance(5);
    await p;
  });

  it('a symbol with callers waiting on its refresh is not evicted', async () => {
    const { clock, cache } = setup({ max_symbols: 1 }, { autoMs: 10 });
    const a = cache.get('A');
    const b = cache.get('B'); // A has a waiter: skipped, the bound is exceeded for the moment
    expect(cache.size).toBe(2);
    await clock.advance(10);
    expect((await a).status).toBe('miss');
    expect((await b).status).toBe('miss');
    const c = cache.get('C'); // both evictable now: the bound is restored
    expect(cache.size).toBe(1);
    await clock.advance(10);
    await c;
  });
});

describe('depth', () => {
  it('caps the requested depth at max_depth', async () => {
    const { clock, refresh, cache } = setup({ max_depth: 20 });
    const p = cache.get('A', { depth: 500 });
    await clock.advance(10);
    expect((await p).value.depth).toBe(20);
    expect(refresh.calls[0]!.depth).toBe(20);
    const q = cache.get('B');
    await clock.advance(10);
    expect((await q).value.depth).toBe(20);
  });

  it('an entry fetched at depth d serves requests for depth <= d; deeper is a miss', async () => {
    const { clock, refresh, cache } = setup({ max_depth: 50 });
    const p = cache.get('A', { depth: 10 });
    await clock.advance(10);
    await p;
    expect((await cache.get('A', { depth: 5 })).status).toBe('fresh');
    expect((await cache.get('A', { depth: 10 })).status).toBe('fresh');
    const q = cache.get('A', { depth: 30 });
    expect(refresh.count()).toBe(2);
    expect(refresh.calls[1]!.depth).toBe(30);
    await clock.advance(10);
    expect((await q).status).toBe('miss');
    expect((await cache.get('A', { depth: 10 })).value.depth).toBe(30);
  });

  it('a deeper caller joining a shallower refresh waits for a deeper one', async () => {
    const { clock, refresh, cache } = setup({ max_depth: 50 });
    const shallow = cache.get('A', { depth: 5 });
    const deep = cache.get('A', { depth: 40 });
    expect(refresh.count()).toBe(1);
    await clock.advance(10);
    expect((await shallow).value.depth).toBe(5);
    expect(refresh.count()).toBe(2);
    await clock.advance(10);
    const r = await deep;
    expect(r.status).toBe('miss');
    expect(r.value.depth).toBe(40);
  });
});

describe('disabled mode', () => {
  it('is a single attempt bounded by refresh_timeout_ms; failures surface as RefreshError', async () => {
    const { clock, refresh, cache } = setup({ enabled: false, refresh_timeout_ms: 50 }, { autoMs: undefined });
    const p = track(cache.get('A'));
    await clock.advance(50);
    expect(p.error).toBeInstanceOf(RefreshError);
    expect((p.error as RefreshError).attempts).toBe(1);
    expect((p.error as Error).cause).toBeInstanceOf(TimeoutError);
    expect(refresh.count()).toBe(1);
    const q = track(cache.getOrderbook('A'));
    refresh.calls[1]!.reject();
    await flush();
    expect(q.settled).toBe(true);
    expect(q.value).toBeUndefined();
  });

  it('concurrent gets are not coalesced and depth is capped', async () => {
    const { clock, refresh, cache } = setup({ enabled: false, max_depth: 10 });
    const ps = [cache.get('A', { depth: 99 }), cache.get('A'), cache.get('A', { depth: 3 })];
    expect(refresh.count()).toBe(3);
    expect(refresh.calls.map((c) => c.depth)).toEqual([10, 10, 3]);
    await clock.advance(10);
    for (const r of await Promise.all(ps)) expect(r.status).toBe('bypass');
  });
});

describe('metrics registry', () => {
  it('several caches on the default registry do not collide, and a scrape sums them', async () => {
    const clock = new VirtualClock();
    const make = () => new MDCache<number>(mdCacheConfig({ enabled: true }), { clock, refresh: () => Promise.resolve(1) });
    const a = make();
    const b = make();
    await a.get('X');
    await b.get('X');
    await b.get('X');
    const text = await globalRegister.metrics();
    expect(text).toContain('mm_md_cache_miss_total{symbol="X"} 2');
    expect(text).toContain('mm_md_cache_hit_total{symbol="X"} 1');
    a.close();
    b.close();
    expect(await globalRegister.metrics()).not.toContain('symbol="X"');
  });

  it('registry: null registers nothing', async () => {
    const { cache } = setup({}, { registry: null });
    const p = cache.get('A');
    expect(p).toBeInstanceOf(Promise);
  });

  it('an injected registry gets every metric name', async () => {
    const registry = new Registry();
    setup({}, { registry });
    const names = (await registry.getMetricsAsJSON()).map((m) => m.name).sort();
    expect(names).toEqual(
      [
        'mm_md_cache_age_ms',
        'mm_md_cache_evictions_total',
        'mm_md_cache_hit_ratio',
        'mm_md_cache_hit_total',
        'mm_md_cache_invalidations_total',
        'mm_md_cache_miss_total',
        'mm_md_cache_stale_served_total',
        'mm_md_refresh_failures_total',
        'mm_md_refresh_latency_ms',
      ].sort(),
    );
  });

  it('invalidations are exposed by symbol and reason', async () => {
    const { clock, cache, registry } = setup();
    const p = cache.get('A');
    await clock.advance(10);
    await p;
    cache.invalidate('A', 'crossed');
    cache.invalidate('A', 'crossed');
    cache.invalidate('A', 'ws_gap');
    const text = await registry!.metrics();
    expect(text).toContain('mm_md_cache_invalidations_total{symbol="A",reason="crossed"} 2');
    expect(text).toContain('mm_md_cache_invalidations_total{symbol="A",reason="ws_gap"} 1');
  });
});

describe('hit ratio', () => {
  it('is (fresh + stale) / gets, per symbol and overall', async () => {
    const { clock, cache } = setup({ ttl_ms: 100 });
    const ps = [cache.get('A'), cache.get('B')];
    await clock.advance(10);
    await Promise.all(ps); // 2 misses
    for (let i = 0; i < 6; i++) await cache.get('A'); // 6 fresh
    await clock.advance(150);
    await cache.get('B'); // stale
    await cache.get('B'); // stale
    const a = cache.stats('A');
    expect(a.hitRatio).toBeCloseTo(6 / 7);
    const b = cache.stats('B');
    expect(b.hitRatio).toBeCloseTo(2 / 3);
    expect(b.staleRatio).toBeCloseTo(2 / 3);
    expect(b.freshRatio).toBe(0);
    const all = cache.stats();
    expect(all.gets).toBe(10);
    expect(all.hitRatio).toBeCloseTo(8 / 10);
    expect(all.freshRatio).toBeCloseTo(6 / 10);
    expect(all.staleRatio).toBeCloseTo(2 / 10);
  });

  it('stats for an unknown symbol are zeros', () => {
    const { cache } = setup();
    expect(cache.stats('ZZZ')).toMatchObject({ gets: 0, hitRatio: 0, ageMs: undefined });
  });
});
