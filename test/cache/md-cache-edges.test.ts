/**
 * MDCache edges found by mutation testing (`npm run mutate`): getSync with enabled: false and ws_book, latency
 * summaries, the oldest age, the abort reasons a refresh sees, retry-after hints, the ws_book wait budget,
 * depth clamping and LRU order on every path. Virtual time throughout.
 */
import { describe, it, expect } from 'vitest';
import { Registry } from 'prom-client';
import { VirtualClock } from '../../src/core/clock.js';
import { RefreshError, TimeoutError } from '../../src/core/errors.js';
import { mdCacheConfig, type MdCacheConfigInput } from '../../src/config/md-cache.js';
import { MDCache, SYMBOL_LATENCY_WINDOW } from '../../src/cache/md-cache.js';
import type { RefreshContext } from '../../src/cache/types.js';
import { flush, setup, track } from './helpers.js';
import { ScriptedFeed, type Book as WsBookValue } from './ws-feed.js';

/** Resolves a get after `ms` of virtual time. */
async function settle<T>(clock: VirtualClock, p: Promise<T>, ms: number): Promise<T> {
  await clock.advance(ms);
  return p;
}

describe('getSync with enabled: false', () => {
  it('serves nothing, starts nothing, counts a miss per call and keeps the symbols in LRU order', () => {
    const { refresh, cache } = setup({ enabled: false, max_symbols: 2 });
    expect(cache.getSync('A')).toBeUndefined();
    expect(cache.getSync('B')).toBeUndefined();
    expect(cache.getSync('A')).toBeUndefined(); // A becomes the most recently used
    expect(refresh.count()).toBe(0);
    expect(cache.stats('A')).toMatchObject({ gets: 2, misses: 2, hits: 0, staleHits: 0 });
    expect(cache.stats()).toMatchObject({ gets: 3, misses: 3, hits: 0 });
    expect(cache.getSync('C')).toBeUndefined(); // evicts B, the least recently used
    expect(cache.stats('B').gets).toBe(0);
    expect(cache.stats('A').gets).toBe(2);
    expect(cache.stats().evictions).toBe(1);
  });
});

describe('getSync with policy ws_book', () => {
  function wsSetup(patch: MdCacheConfigInput = {}) {
    const clock = new VirtualClock();
    const feed = new ScriptedFeed();
    const cache = new MDCache<WsBookValue>(mdCacheConfig({ enabled: true, policy: 'ws_book', invalidate_on_ws_gap_ms: 100, max_stale_ms: 500, ...patch }), {
      clock,
      registry: null,
      refresh: () => Promise.reject(new Error('ws_book never calls refresh')),
      feed,
    });
    return { clock, feed, cache };
  }

  it('fresh while the stream speaks, stale up to max_stale_ms (stale_ok), then a miss that resyncs', async () => {
    const { clock, feed, cache } = wsSetup();
    expect(cache.getSync('A')).toBeUndefined(); // subscribes; not in sync yet
    const sub = feed.subs.get('A')!;
    await clock.advance(10);
    sub.doSync(clock.now());
    expect(cache.getSync('A')).toEqual({ value: { symbol: 'A', sync: 1, seq: 0, takenAt: 10 }, status: 'fresh', ageMs: 0 });
    await clock.advance(100);
    expect(cache.getSync('A')?.status).toBe('fresh'); // age == gap: still fresh
    expect(cache.getSync('A', { maxAgeMs: 99 })?.status).toBe('stale'); // a tighter bound for this call
    await clock.advance(1);
    expect(cache.getSync('A')).toEqual({ value: { symbol: 'A', sync: 1, seq: 0, takenAt: 10 }, status: 'stale', ageMs: 101 });
    expect(cache.getSync('A', { maxAgeMs: 5000 })?.status).toBe('stale'); // a looser bound does not extend the gap
    sub.message(clock.now());
    expect(cache.getSync('A')).toMatchObject({ status: 'fresh', ageMs: 0, value: { seq: 1 } }); // re-read after the message
    await clock.advance(500);
    expect(cache.getSync('A')?.status).toBe('stale'); // age == max_stale_ms: still served
    expect(sub.resyncs).toEqual([]);
    await clock.advance(1);
    expect(cache.getSync('A')).toBeUndefined();
    expect(sub.resyncs).toEqual(['ws_gap']);
    expect(cache.stats('A')).toMatchObject({ gets: 9, hits: 3, staleHits: 4, misses: 2 });
    expect(cache.stats()).toMatchObject({ gets: 9, hits: 3, staleHits: 4, misses: 2 });
  });

  it('stale_ok false: an expired book is a miss (no resync before max_stale_ms); LRU order is kept', async () => {
    const { clock, feed, cache } = wsSetup({ stale_ok: false, max_symbols: 2 });
    cache.getSync('A');
    cache.getSync('B');
    feed.subs.get('A')!.doSync(0);
    await clock.advance(150);
    expect(cache.getSync('A')).toBeUndefined();
    expect(feed.subs.get('A')!.resyncs).toEqual([]);
    cache.getSync('C'); // B is the least recently used: its subscription is closed
    expect(feed.subs.get('B')!.closed).toBe(true);
    expect(feed.subs.get('A')!.closed).toBe(false);
  });

  it('a get waits for the sync at most the retry budget, and its RefreshError counts the failed syncs', async () => {
    const { clock, feed, cache } = wsSetup({ refresh_timeout_ms: 1000, retry: { max_attempts: 3, base_ms: 10, max_ms: 2000 } });
    const p = track(cache.get('A'));
    const sub = feed.subs.get('A')!;
    sub.listener({ type: 'sync_failed', t: 100, error: new Error('snapshot 500') });
    sub.listener({ type: 'sync_failed', t: 200, error: new Error('snapshot 500') });
    await clock.advance(6999); // 3 × 1000 + 2 × 2000
    expect(p.settled).toBe(false);
    await clock.advance(1);
    await flush();
    expect(p.error).toBeInstanceOf(RefreshError);
    const err = p.error as RefreshError;
    expect(err.attempts).toBe(2);
    expect(err.cause).toBeInstanceOf(TimeoutError);
    expect((err.cause as Error).message).toBe('ws_book: A not in sync within 7000 ms');
    expect(cache.stats('A')).toMatchObject({ misses: 1, refreshFailures: 2 });
  });

  it('waiters get the synced book as a miss with its age; a timed-out waiter does not', async () => {
    const { clock, feed, cache } = wsSetup();
    const p = track(cache.get('A'));
    await clock.advance(30);
    feed.subs.get('A')!.doSync(20);
    await flush();
    expect(p.value).toEqual({ value: { symbol: 'A', sync: 1, seq: 0, takenAt: 20 }, status: 'miss', ageMs: 10 });
    expect(cache.stats('A')).toMatchObject({ gets: 1, misses: 1, refreshes: 1 });
  });
});

describe('latency summaries and ages', () => {
  it('per-symbol refresh latency is over the last SYMBOL_LATENCY_WINDOW refreshes; the total over all', async () => {
    const { clock, refresh, cache } = setup({ ttl_ms: 100 }, { autoMs: 1 });
    const n = SYMBOL_LATENCY_WINDOW + 6;
    for (let i = 1; i <= n; i++) {
      refresh.autoMs = i;
      await settle(clock, cache.get('A'), i);
      cache.invalidate('A');
    }
    // the window holds 7..70: ranks by ceil(p × 64) − 1
    expect(cache.stats('A').refreshLatencyMs).toEqual({ p50: 38, p95: 67, p99: 70, max: 70 });
    const all = cache.stats().refreshLatencyMs;
    expect(all.max).toBe(70);
    expect(all.p50).toBeCloseTo(35, 0);
    expect(all.p95).toBeCloseTo(67, 0);
    expect(all.p99).toBeCloseTo(70, 0);
    expect(cache.stats('B').refreshLatencyMs).toEqual({ p50: 0, p95: 0, p99: 0, max: 0 });
  });

  it('with three refreshes the per-symbol percentiles pick ranks 2, 3, 3', async () => {
    const { clock, refresh, cache } = setup({}, { autoMs: 1 });
    for (const ms of [30, 10, 20]) {
      refresh.autoMs = ms;
      await settle(clock, cache.get('A'), ms);
      cache.invalidate('A');
    }
    expect(cache.stats('A').refreshLatencyMs).toEqual({ p50: 20, p95: 30, p99: 30, max: 30 });
  });

  it("the total age is the oldest held symbol's; ratios are 0 before any get", async () => {
    const { clock, cache } = setup({ ttl_ms: 1000, max_stale_ms: 5000 });
    expect(cache.stats()).toMatchObject({ ageMs: undefined, hitRatio: 0, freshRatio: 0, staleRatio: 0 });
    await settle(clock, cache.get('A'), 10);
    await clock.advance(40);
    await settle(clock, cache.get('B'), 10);
    await clock.advance(50);
    expect(cache.stats('A').ageMs).toBe(100);
    expect(cache.stats('B').ageMs).toBe(50);
    expect(cache.stats().ageMs).toBe(100);
    cache.invalidate('A');
    expect(cache.stats().ageMs).toBe(50);
    expect(cache.stats('A').ageMs).toBeUndefined();
  });

  it('scrape-time counters: forEachSymbol gives each held symbol its counters and age', async () => {
    const { clock, cache } = setup();
    await settle(clock, cache.get('A'), 10);
    void cache.get('B');
    await clock.advance(5);
    const seen: [string, number, number | undefined][] = [];
    cache.forEachSymbol((c, age) => seen.push([c.symbol, c.misses, age]));
    expect(seen.sort()).toEqual([
      ['A', 1, 5],
      ['B', 0, undefined], // a waiting caller's miss is counted when it is served
    ]);
  });
});

describe('what a refresh is told when it is aborted', () => {
  it('preempted by a newer refresh, invalidated, evicted, or lost a hedge race: the signal reason says which', async () => {
    const { clock, refresh, cache } = setup({ max_symbols: 1 }, { autoMs: undefined });
    const a = track(cache.get('A'));
    cache.invalidate('A', 'ws_gap'); // a caller waits on call 1: it is retired, not aborted
    expect(refresh.calls[0]!.signal.aborted).toBe(false);
    const b = track(cache.get('A')); // the single slot: call 1 is preempted, its caller moves to call 2
    expect((refresh.calls[0]!.signal.reason as Error).message).toBe('refresh of A preempted by a newer one');
    refresh.calls[1]!.resolve();
    await flush();
    expect(a.value?.value.call).toBe(2);
    expect(b.value?.value.call).toBe(2);

    await clock.advance(200); // expired: a stale hit starts a background refresh (call 3)
    expect((await cache.get('A')).status).toBe('stale');
    cache.invalidate('A', 'jump');
    expect((refresh.calls[2]!.signal.reason as Error).message).toBe('refresh of A invalidated (jump)');

    void cache.getSync('A'); // background refresh (call 4) of A …
    void cache.getSync('B'); // … aborted when B evicts A
    expect((refresh.calls[3]!.signal.reason as Error).message).toBe('A evicted');
    void clock;
  });

  it('the losing twin of a hedged refresh is told it lost', async () => {
    const { clock, refresh, cache } = setup({ max_inflight_refresh: 2, hedge_after_ms: 20 }, { autoMs: undefined });
    const p = track(cache.get('A'));
    await clock.advance(20);
    expect(refresh.count()).toBe(2);
    refresh.calls[1]!.resolve();
    await flush();
    expect(p.value?.value.call).toBe(2);
    expect((refresh.calls[0]!.signal.reason as Error).message).toBe('hedged refresh of A lost');
  });

  it('a refresh timing out is told by a TimeoutError naming the symbol and the bound', async () => {
    const { clock, refresh, cache } = setup({ refresh_timeout_ms: 50, retry: { max_attempts: 1 } }, { autoMs: undefined });
    const p = track(cache.get('A'));
    await clock.advance(50);
    await flush();
    expect(refresh.calls[0]!.signal.reason).toBeInstanceOf(TimeoutError);
    expect((refresh.calls[0]!.signal.reason as Error).message).toBe('refresh of A timed out after 50 ms');
    expect((p.error as RefreshError).cause).toBe(refresh.calls[0]!.signal.reason);
  });

  it('close(): a waiting caller gets a RefreshError whose cause says the cache closed', async () => {
    const { refresh, cache } = setup({}, { autoMs: undefined });
    const p = track(cache.get('A'));
    cache.close();
    await flush();
    expect(p.error).toBeInstanceOf(RefreshError);
    expect(((p.error as RefreshError).cause as Error).message).toBe('cache closed');
    expect(refresh.calls[0]!.signal.aborted).toBe(true);
  });
});

describe('retry-after hints', () => {
  /** A refresh that fails its first call with `err`, then succeeds. */
  function failingOnce(err: unknown) {
    const clock = new VirtualClock();
    const at: number[] = [];
    const refresh = (symbol: string, ctx: RefreshContext): Promise<{ symbol: string; depth: number }> => {
      at.push(clock.now());
      if (at.length === 1) return Promise.reject(err);
      return Promise.resolve({ symbol, depth: ctx.depth });
    };
    // max_ms 300: a hint up to 300 ms is waited out (a longer one fails fast: test/cache/retry-after.test.ts)
    const cache = new MDCache(mdCacheConfig({ enabled: true, retry: { max_attempts: 3, base_ms: 100, max_ms: 300 } }), { clock, refresh, registry: null, random: () => 0.5 });
    return { clock, cache, at };
  }

  it.each([
    ['a positive hint', { retryAfterMs: 300 }, 300],
    ['a zero hint (the jitter)', { retryAfterMs: 0 }, 50],
    ['a negative hint', { retryAfterMs: -5 }, 50],
    ['a non-numeric hint', { retryAfterMs: '300' }, 50],
    ['a null rejection', null, 50],
  ])('%s: the second attempt waits %s', async (_, err, wait) => {
    const { clock, cache, at } = failingOnce(err === null ? null : Object.assign(new Error('fail'), err));
    const p = track(cache.get('A'));
    await flush();
    await clock.advance(wait - 1);
    expect(at).toEqual([0]);
    await clock.advance(1);
    await flush();
    expect(at).toEqual([0, wait]);
    expect(p.value?.status).toBe('miss');
  });
});

describe('depth', () => {
  it('a requested depth below 1 asks for 1; above max_depth asks for max_depth (get, getSync and bypass)', async () => {
    const { clock, refresh, cache } = setup({ max_depth: 20 });
    await settle(clock, cache.get('A', { depth: 0 }), 10);
    expect(refresh.calls[0]!.depth).toBe(1);
    cache.getSync('B', { depth: -3 });
    expect(refresh.calls[1]!.depth).toBe(1);
    cache.getSync('C', { depth: 500 });
    expect(refresh.calls[2]!.depth).toBe(20);
    await settle(clock, cache.get('D', { depth: Number.NaN }), 10);
    expect(refresh.calls[3]!.depth).toBe(20);
    const off = setup({ enabled: false, max_depth: 20 });
    const p = off.cache.get('A', { depth: 0 });
    const q = off.cache.get('A', { depth: 21 });
    const r = off.cache.get('A');
    expect(off.refresh.calls.map((c) => c.depth)).toEqual([1, 20, 20]);
    await off.clock.advance(10);
    expect((await p).status).toBe('bypass');
    await q;
    await r;
  });

  it('getSync serves a held shallower entry only to callers asking no deeper', async () => {
    const { clock, refresh, cache } = setup({ max_depth: 50 });
    await settle(clock, cache.get('A', { depth: 10 }), 10);
    expect(cache.getSync('A', { depth: 10 })?.status).toBe('fresh');
    expect(cache.getSync('A', { depth: 11 })).toBeUndefined(); // a miss: starts a refresh at depth 11
    expect(refresh.calls.map((c) => c.depth)).toEqual([10, 11]);
    await clock.advance(10);
    await flush();
    expect(cache.getSync('A', { depth: 11 })).toMatchObject({ status: 'fresh', value: { call: 2, depth: 11 } });
  });
});

describe('LRU order on every path', () => {
  it('get, getSync and bypass each make the symbol the most recently used', async () => {
    for (const path of ['get', 'getSync'] as const) {
      const { clock, cache } = setup({ max_symbols: 3, ttl_ms: 1000 });
      for (const s of ['A', 'B', 'C']) await settle(clock, cache.get(s), 10);
      if (path === 'get') await cache.get('A');
      else cache.getSync('A');
      await settle(clock, cache.get('D'), 10); // evicts B (A was used)
      expect(cache.peek('B')).toBeUndefined();
      expect(cache.peek('A')).toBeDefined();
      expect(cache.peek('C')).toBeDefined();
    }
    const off = setup({ enabled: false, max_symbols: 2 });
    const ps = [off.cache.get('A'), off.cache.get('B'), off.cache.get('A'), off.cache.get('C')];
    await off.clock.advance(10);
    await Promise.all(ps);
    expect(off.cache.stats('B').gets).toBe(0);
    expect(off.cache.stats('A')).toMatchObject({ gets: 2, bypasses: 2, refreshes: 2 });
  });

  it('evictions are counted in stats and in Prometheus', async () => {
    const registry = new Registry();
    const { clock, cache } = setup({ max_symbols: 1 }, { registry });
    await settle(clock, cache.get('A'), 10);
    await settle(clock, cache.get('B'), 10);
    expect(cache.stats().evictions).toBe(1);
    expect(await registry.metrics()).toContain('mm_md_cache_evictions_total 1');
  });
});

describe('stale-if-error and failures in detail', () => {
  it('getSync serves the expired entry while its refresh is failing, even with stale_ok false', async () => {
    const { clock, refresh, cache } = setup({ ttl_ms: 100, max_stale_ms: 1000, stale_ok: false, retry: { max_attempts: 3, base_ms: 50, max_ms: 50 } }, { autoMs: 10 });
    await settle(clock, cache.get('A'), 10);
    await clock.advance(200);
    expect(cache.getSync('A')).toBeUndefined(); // expired, nothing failing: a miss that starts the refresh
    expect(refresh.count()).toBe(2);
    expect(cache.getSync('A')).toBeUndefined(); // the refresh is in flight, not failing: still a miss, no second one
    expect(refresh.count()).toBe(2);
    refresh.calls[1]!.reject();
    await flush();
    expect(cache.getSync('A')).toMatchObject({ status: 'stale', ageMs: 200, value: { call: 1 } });
    expect(refresh.count()).toBe(2); // the retry is the load's own: getSync starts nothing
    expect(cache.stats('A')).toMatchObject({ gets: 4, staleHits: 1, misses: 3 });
  });

  it('stale-if-error serves only waiters the held depth satisfies, and only within max_stale_ms', async () => {
    const { clock, refresh, cache } = setup({ ttl_ms: 100, max_stale_ms: 1000, stale_ok: false, retry: { max_attempts: 3, base_ms: 50, max_ms: 50 } }, { autoMs: undefined });
    const first = cache.get('A', { depth: 10 });
    refresh.calls[0]!.resolve();
    await first;
    await clock.advance(200);
    const shallow = track(cache.get('A', { depth: 10 }));
    const deep = track(cache.get('A', { depth: 20 }));
    expect(refresh.calls[1]!.depth).toBe(10);
    refresh.calls[1]!.reject();
    await flush();
    expect(shallow.value).toMatchObject({ status: 'stale', ageMs: 200, value: { depth: 10 } });
    expect(deep.settled).toBe(false); // 10 levels do not serve a caller asking for 20
    await clock.advance(50);
    refresh.calls[2]!.resolve(); // the retry, still at depth 10: the deep caller joins a deeper refresh
    await flush();
    expect(deep.settled).toBe(false);
    expect(refresh.calls[3]!.depth).toBe(20);
    refresh.calls[3]!.resolve();
    await flush();
    expect(deep.value).toMatchObject({ status: 'miss', value: { depth: 20, call: 4 } });

    // past max_stale_ms the failing refresh serves nothing: the caller waits for the retry
    await clock.advance(1500);
    const late = track(cache.get('A', { depth: 10 }));
    refresh.calls[4]!.reject();
    await flush();
    expect(late.settled).toBe(false);
    await clock.advance(50);
    refresh.calls[5]!.resolve();
    await flush();
    expect(late.value).toMatchObject({ status: 'miss', value: { call: 6 } });
  });

  it('a failed load rejects every waiter with the attempts made and counts a miss for each', async () => {
    const { clock, refresh, cache } = setup({ retry: { max_attempts: 3, base_ms: 10, max_ms: 10 } }, { autoMs: 5 });
    refresh.failNext = 3;
    const a = track(cache.get('A'));
    const b = track(cache.get('A'));
    await clock.runUntilIdle();
    await flush();
    for (const p of [a, b]) {
      expect(p.error).toBeInstanceOf(RefreshError);
      expect((p.error as RefreshError).attempts).toBe(3);
      expect(((p.error as RefreshError).cause as Error).message).toBe('refresh 3 failed');
    }
    expect(cache.stats('A')).toMatchObject({ gets: 2, misses: 2, refreshes: 3, refreshFailures: 3 });
    expect(cache.stats()).toMatchObject({ misses: 2, refreshFailures: 3 });
  });

  it('enabled: false counts each call, its latency and its failure', async () => {
    const registry = new Registry();
    const { clock, refresh, cache } = setup({ enabled: false }, { autoMs: undefined, registry });
    await clock.advance(5); // latency is measured from the call, not from time 0
    const p = cache.get('A');
    await clock.advance(12);
    refresh.calls[0]!.resolve();
    expect(await p).toEqual({ value: { symbol: 'A', call: 1, depth: 50 }, status: 'bypass', ageMs: 0 });
    const q = track(cache.get('A'));
    refresh.calls[1]!.reject(new Error('boom'));
    await flush();
    expect((q.error as RefreshError).attempts).toBe(1);
    expect(((q.error as RefreshError).cause as Error).message).toBe('boom');
    expect(cache.stats('A')).toMatchObject({ gets: 2, bypasses: 2, refreshes: 2, refreshFailures: 1, refreshLatencyMs: { p50: 12, p95: 12, p99: 12, max: 12 } });
    expect(cache.stats()).toMatchObject({ gets: 2, bypasses: 2, refreshes: 2, refreshFailures: 1, hits: 0, misses: 0 });
    expect(cache.peek('A')).toBeUndefined(); // nothing cached
    const text = await registry.metrics();
    expect(text).toContain('mm_md_refresh_latency_ms_count 1');
    expect(text).toContain('mm_md_refresh_latency_ms_bucket{le="20"} 1');
    expect(text).toContain('mm_md_refresh_latency_ms_bucket{le="10"} 0');
  });
});

describe('loads', () => {
  it("a refresh fetches the deeper of the request and the held depth (kept across invalidation), capped at max_depth", async () => {
    const { clock, refresh, cache } = setup({ max_depth: 40 });
    await settle(clock, cache.get('A', { depth: 30 }), 10);
    cache.invalidate('A');
    await settle(clock, cache.get('A', { depth: 5 }), 10);
    expect(refresh.calls[1]!.depth).toBe(30);
    await clock.advance(500);
    await settle(clock, cache.get('A', { depth: 35 }), 10);
    expect(refresh.calls[2]!.depth).toBe(35);
    await settle(clock, cache.get('A', { depth: 99 }), 10);
    expect(refresh.calls[3]!.depth).toBe(40);
  });

  it('an injected jitterFor(symbol) replaces random() for the backoff', async () => {
    const clock = new VirtualClock();
    const starts: Record<string, number[]> = { A: [], B: [] };
    let n = 0;
    const cache = new MDCache<number>(mdCacheConfig({ enabled: true, retry: { max_attempts: 2, base_ms: 100, max_ms: 100 } }), {
      clock,
      registry: null,
      random: () => 1,
      jitterFor: (s) => (s === 'A' ? 0.1 : 0.6),
      refresh: (s) => {
        starts[s]!.push(clock.now());
        return ++n <= 2 ? Promise.reject(new Error('first fails')) : Promise.resolve(n);
      },
    });
    const ps = [cache.get('A'), cache.get('B')];
    await clock.runUntilIdle();
    await Promise.all(ps);
    expect(starts).toEqual({ A: [0, 10], B: [0, 60] });
  });

  it('an invalidation cancels the pending hedge of the load it retires', async () => {
    const { clock, refresh, cache } = setup({ max_inflight_refresh: 2, hedge_after_ms: 20 }, { autoMs: undefined });
    const p = track(cache.get('A'));
    await clock.advance(10);
    cache.invalidate('A');
    await clock.advance(30);
    expect(refresh.count()).toBe(1); // no hedge for the retired load
    refresh.calls[0]!.resolve();
    await flush();
    expect(p.value?.value.call).toBe(1); // its caller still gets its result …
    expect(cache.peek('A')).toBeUndefined(); // … which does not repopulate the cache
  });

  it('a hedge starts once per load, after hedge_after_ms, not before', async () => {
    const { clock, refresh, cache } = setup({ max_inflight_refresh: 3, hedge_after_ms: 20 }, { autoMs: undefined });
    void cache.get('A');
    await clock.advance(19);
    expect(refresh.count()).toBe(1);
    await clock.advance(1);
    expect(refresh.count()).toBe(2);
    await clock.advance(20);
    expect(refresh.count()).toBe(3);
    await clock.advance(100);
    expect(refresh.count()).toBe(3);
    expect(refresh.inflight('A')).toBe(3);
  });
});

describe('getSync and get at their bounds', () => {
  it('getSync after close throws CacheClosedError', () => {
    const { cache } = setup();
    cache.close();
    expect(() => cache.getSync('A')).toThrow(/closed/);
  });

  it('getSync: age == ttl is fresh, maxAgeMs narrows it, age == max_stale_ms is still served, beyond is not', async () => {
    const { clock, refresh, cache } = setup({ ttl_ms: 100, max_stale_ms: 1000 }, { autoMs: undefined });
    void cache.getSync('A');
    refresh.calls[0]!.resolve();
    await flush();
    expect(cache.stats('A')).toMatchObject({ gets: 1, misses: 1 });
    await clock.advance(100);
    expect(cache.getSync('A')).toMatchObject({ status: 'fresh', ageMs: 100 });
    expect(cache.stats('A').hits).toBe(1);
    expect(cache.getSync('A', { maxAgeMs: 99 })).toMatchObject({ status: 'stale', ageMs: 100 });
    expect(refresh.count()).toBe(2); // the stale hit started the refresh …
    expect(cache.getSync('A', { maxAgeMs: 99 })?.status).toBe('stale');
    expect(refresh.count()).toBe(2); // … once
    refresh.calls[1]!.reject(new Error('down')); // (retrying from here on; nothing resolves)
    await clock.advance(900); // age 1000 == max_stale_ms
    expect(cache.getSync('A')).toMatchObject({ status: 'stale', ageMs: 1000 });
    expect(cache.getSync('A', { maxAgeMs: 5000 })).toMatchObject({ status: 'fresh', ageMs: 1000 }); // the caller's bound, within max_stale_ms
    await clock.advance(1);
    expect(cache.getSync('A', { maxAgeMs: 5000 })).toBeUndefined(); // never past max_stale_ms, whatever the caller allows
  });

  it('get: a caller allowing more than max_stale_ms is served fresh up to it, stale_ok or not', async () => {
    const { clock, cache } = setup({ ttl_ms: 100, max_stale_ms: 1000, stale_ok: false }, { autoMs: 10 });
    await settle(clock, cache.get('A'), 10);
    await clock.advance(1000);
    expect(await cache.get('A', { maxAgeMs: 5000 })).toMatchObject({ status: 'fresh', ageMs: 1000 });
  });

  it('getSync with refresh_ahead: age == refresh_ahead_ms starts nothing; past it, one refresh for many calls', async () => {
    const { clock, refresh, cache } = setup({ policy: 'refresh_ahead', ttl_ms: 100, refresh_ahead_ms: 50 }, { autoMs: undefined });
    void cache.getSync('A');
    refresh.calls[0]!.resolve();
    await flush();
    await clock.advance(50);
    expect(cache.getSync('A')?.status).toBe('fresh');
    expect(refresh.count()).toBe(1);
    await clock.advance(1);
    expect(cache.getSync('A')?.status).toBe('fresh');
    expect(cache.getSync('A')?.status).toBe('fresh');
    expect(refresh.count()).toBe(2);
  });

  it('getSync for a depth above max_depth is served by an entry held at max_depth', async () => {
    const { clock, cache } = setup({ max_depth: 20 });
    await settle(clock, cache.get('A'), 10);
    expect(cache.getSync('A', { depth: 500 })).toMatchObject({ status: 'fresh', value: { depth: 20 } });
  });

  it('enabled: false: getSync twice in a row on the same symbol', () => {
    const { cache } = setup({ enabled: false });
    expect(cache.getSync('A')).toBeUndefined();
    expect(cache.getSync('A')).toBeUndefined();
    expect(cache.stats('A').gets).toBe(2);
  });

  it('getOrderbook resolves to the book itself', async () => {
    const { clock, cache } = setup();
    const p = cache.getOrderbook('A');
    await clock.advance(10);
    expect(await p).toEqual({ symbol: 'A', call: 1, depth: 50 });
  });
});

describe('Prometheus scrape over several caches', () => {
  it('sums caches per symbol: gets include bypasses, the age is the oldest held, a symbol without gets has ratio 0', async () => {
    const registry = new Registry();
    const clock = new VirtualClock();
    const mk = (enabled: boolean, refresh: () => Promise<number>) => new MDCache<number>(mdCacheConfig({ enabled, ttl_ms: 1000 }), { clock, registry, refresh });
    const held = mk(true, () => Promise.resolve(1));
    const unheld = mk(true, () => new Promise<number>(() => undefined));
    const young = mk(true, () => Promise.resolve(2));
    const off = mk(false, () => Promise.resolve(3));
    await held.get('A'); // miss
    await held.get('A'); // fresh hit
    const waiting = [track(unheld.get('A')), track(unheld.get('B'))]; // waiting: no value, no counted get yet
    await clock.advance(30);
    await young.get('A'); // miss, age 0
    await off.get('A');
    await off.get('A');
    const text = await registry.metrics();
    expect(text).toContain('mm_md_cache_age_ms{symbol="A"} 30');
    expect(text).toContain('mm_md_cache_hit_ratio{symbol="A"} 0.2'); // 1 hit of 2 + 1 misses + 2 bypasses
    expect(text).toContain('mm_md_cache_hit_ratio{symbol="B"} 0');
    for (const c of [held, unheld, young, off]) c.close();
    await flush();
    for (const w of waiting) expect(w.error).toBeInstanceOf(RefreshError); // closed under them
  });
});
