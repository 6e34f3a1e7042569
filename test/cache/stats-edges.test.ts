/**
 * stats() and eviction at their edges (virtual time): an evicted symbol's hits, stale hits and bypasses stay
 * in the totals, the oldest age is the oldest whatever the map order, p99 below the max, a symbol without a
 * finished refresh has an empty latency window, a ws_book symbol with a waiting caller is not evicted, and a
 * non-numeric Retry-After is no hint.
 */
import { describe, it, expect } from 'vitest';
import { VirtualClock } from '../../src/core/clock.js';
import { mdCacheConfig } from '../../src/config/md-cache.js';
import { MDCache } from '../../src/cache/md-cache.js';
import { ScriptedFeed, type Book as WsBook } from './ws-feed.js';
import { flush, setup, track } from './helpers.js';

describe('stats edges', () => {
  it('an evicted symbol\'s hits, stale hits and bypasses stay in the totals', async () => {
    const { clock, cache } = setup({ max_symbols: 1, ttl_ms: 100, max_stale_ms: 1000, stale_ok: true });
    await clock.advance(0);
    const first = track(cache.get('A'));
    await clock.advance(10);
    expect(first.value?.status).toBe('miss');
    expect((await cache.get('A')).status).toBe('fresh');
    await clock.advance(200);
    expect((await cache.get('A')).status).toBe('stale');
    await clock.advance(20); // its background refresh done
    void cache.get('B'); // evicts A
    expect(cache.peek('A')).toBeUndefined();
    expect(cache.stats()).toMatchObject({ hits: 1, staleHits: 1, evictions: 1 });

    const off = setup({ enabled: false, max_symbols: 1 });
    void off.cache.get('A');
    void off.cache.get('B');
    await off.clock.advance(20);
    expect(off.cache.stats()).toMatchObject({ bypasses: 2, gets: 2, evictions: 1 });
  });

  it('ageMs is the oldest held value, whichever symbol was added first', async () => {
    const { clock, refresh, cache } = setup({ ttl_ms: 1000, refresh_timeout_ms: 10_000 }, { autoMs: undefined });
    void cache.get('A'); // added first, its value comes last
    void cache.get('B');
    await clock.advance(10);
    refresh.calls[1]!.resolve(); // B at 10
    await clock.advance(50);
    refresh.calls[0]!.resolve(); // A at 60
    await clock.advance(40);
    expect(cache.stats('A').ageMs).toBe(40);
    expect(cache.stats().ageMs).toBe(90);
  });

  it('refresh latency percentiles: p99 of 100 refreshes below their max', async () => {
    const { clock, refresh, cache } = setup({ ttl_ms: 1000 });
    for (let ms = 1; ms <= 100; ms++) {
      refresh.autoMs = ms;
      cache.invalidate('A');
      void cache.get('A');
      await clock.advance(ms);
    }
    const lat = cache.stats().refreshLatencyMs;
    expect(lat.max).toBe(100);
    // HDR buckets round up a little (99.007), never to the max
    expect(lat.p99).toBeGreaterThanOrEqual(99);
    expect(lat.p99).toBeLessThan(99.1);
    expect(lat.p50).toBeGreaterThanOrEqual(50);
    expect(lat.p50).toBeLessThan(50.1);
  });

  it('a symbol whose first refresh has not ended has an empty latency window', async () => {
    const { cache } = setup({}, { autoMs: undefined });
    void cache.get('A');
    expect(cache.stats('A').refreshLatencyMs).toEqual({ p50: 0, p95: 0, p99: 0, max: 0 });
  });

  it('a retryAfterMs that is not a number (NaN) is no hint: the retry waits its backoff', async () => {
    const { clock, refresh, cache } = setup({ refresh_timeout_ms: 10_000, retry: { max_attempts: 2, base_ms: 100, max_ms: 100 } }, { autoMs: undefined });
    void cache.get('A').catch(() => {});
    refresh.calls[0]!.reject(Object.assign(new Error('HTTP 429'), { retryAfterMs: Number.NaN }));
    await clock.advance(49);
    expect(refresh.count()).toBe(1);
    await clock.advance(1); // 0.5 × 100 ms
    expect(refresh.count()).toBe(2);
  });
});

describe('eviction of ws_book symbols', () => {
  it('a symbol with a caller waiting for its sync is not evicted (its stream stays open)', async () => {
    const clock = new VirtualClock();
    const feed = new ScriptedFeed();
    const cache = new MDCache<WsBook>(mdCacheConfig({ enabled: true, policy: 'ws_book', max_symbols: 1 }), {
      clock,
      registry: null,
      refresh: () => Promise.reject(new Error('unused')),
      feed,
    });
    const a = track(cache.get('A'));
    void cache.get('B').catch(() => {});
    await flush();
    expect(cache.size).toBe(2);
    expect(feed.subs.get('A')!.closed).toBe(false);
    expect(a.settled).toBe(false);
    feed.subs.get('A')!.doSync(0);
    await flush();
    expect(a.value?.status).toBe('miss');
  });
});

describe('LRU past the growth of its link arrays', () => {
  it('the 17th symbol (the first beyond the initial 16 link slots) keeps its place in the LRU order', async () => {
    const { clock, cache } = setup({ max_symbols: 20, ttl_ms: 1000 });
    for (let k = 0; k < 20; k++) void cache.get(`S${k}`);
    await clock.advance(20);
    await cache.get('S16'); // most recent now
    void cache.get('N0'); // evicts S0
    void cache.get('N1'); // evicts S1
    expect(cache.peek('S0')).toBeUndefined();
    expect(cache.peek('S1')).toBeUndefined();
    for (const k of [2, 15, 16, 17, 19]) expect(cache.peek(`S${k}`)).toBeDefined();
    expect(cache.stats().evictions).toBe(2);
  });

  it('evicting the symbol just before a skipped tail (a caller waits on it) keeps the list whole', async () => {
    const { clock, refresh, cache } = setup({ max_symbols: 2, refresh_timeout_ms: 10_000 }, { autoMs: undefined });
    const a = track(cache.get('A')); // the tail, its caller waiting
    void cache.get('B');
    refresh.calls[1]!.resolve();
    await flush();
    void cache.get('C'); // A is skipped: B is evicted
    expect(cache.peek('B')).toBeUndefined();
    refresh.calls[0]!.resolve();
    refresh.calls[2]!.resolve();
    await flush();
    expect(a.value?.status).toBe('miss');
    void cache.get('D'); // now A, the least recently used, goes
    await clock.advance(0);
    expect(cache.size).toBe(2);
    expect(cache.peek('A')).toBeUndefined();
    expect(cache.peek('C')).toBeDefined();
    expect(cache.stats().evictions).toBe(2);
  });
});

