/** Regression tests for the cache defects of issue #15 (items 1–4 and 23). */
import { describe, it, expect } from 'vitest';
import { VirtualClock } from '../../src/core/clock.js';
import { CacheClosedError, ConfigError, RefreshError } from '../../src/core/errors.js';
import { mdCacheConfig } from '../../src/config/md-cache.js';
import { MDCache, MAX_HOLD_MS } from '../../src/cache/md-cache.js';
import { flush, setup, track } from './helpers.js';

describe('#15.1 hedging shares the retry budget', () => {
  it('max_inflight_refresh 3, hedge_after_ms 20, max_attempts 2: one failing get makes 2 refresh calls, not 6', async () => {
    const { clock, refresh, cache } = setup(
      { max_inflight_refresh: 3, hedge_after_ms: 20, refresh_timeout_ms: 100, retry: { max_attempts: 2, base_ms: 1, max_ms: 1 } },
      { autoMs: undefined },
    );
    const p = track(cache.get('A'));
    for (let i = 0; i < 100; i++) {
      await clock.advance(5);
      for (const c of refresh.pending()) if (clock.now() - c.startedAt >= 30) c.reject(new Error('down'));
    }
    await clock.runUntilIdle();
    await flush();
    expect(refresh.count()).toBe(2);
    expect(p.error).toBeInstanceOf(RefreshError);
    expect((p.error as RefreshError).attempts).toBe(2);
  });

  it('a hedge is not started once the load has used its attempts', async () => {
    const { clock, refresh, cache } = setup(
      { max_inflight_refresh: 2, hedge_after_ms: 20, refresh_timeout_ms: 1000, retry: { max_attempts: 1, base_ms: 0, max_ms: 0 } },
      { autoMs: undefined },
    );
    const p = track(cache.get('A'));
    await clock.advance(100);
    expect(refresh.count()).toBe(1); // max_attempts 1: no hedge
    refresh.calls[0]!.resolve();
    await flush();
    expect(p.value?.status).toBe('miss');
  });
});

describe('#15.2 one definition of an invalidation', () => {
  it('per-symbol counts, totals and Prometheus agree', async () => {
    const { clock, cache, registry } = setup();
    const ps = [cache.get('A'), cache.get('B')];
    await clock.advance(10);
    await Promise.all(ps);
    cache.invalidate('A', 'seq_gap');
    cache.invalidate('UNKNOWN', 'seq_gap');
    cache.invalidateAll('reconnect');
    expect(cache.stats().invalidations).toEqual({ seq_gap: 1, reconnect: 2 });
    expect(cache.stats('A').invalidations).toEqual({ seq_gap: 1, reconnect: 1 });
    expect(cache.stats('B').invalidations).toEqual({ reconnect: 1 });
    const m = await registry!.getSingleMetric('mm_md_cache_invalidations_total')!.get();
    const byReason: Record<string, number> = {};
    for (const v of m.values) byReason[String(v.labels.reason)] = (byReason[String(v.labels.reason)] ?? 0) + v.value;
    expect(byReason).toEqual({ seq_gap: 1, reconnect: 2 });
  });
});

describe('#15.3 close() is enforced', () => {
  it('a get after close rejects with CacheClosedError and starts no refresh', async () => {
    const { clock, refresh, cache } = setup();
    const p = cache.get('A');
    await clock.advance(10);
    await p;
    cache.close();
    await expect(cache.get('A')).rejects.toBeInstanceOf(CacheClosedError);
    await expect(cache.getOrderbook('B')).rejects.toBeInstanceOf(CacheClosedError);
    expect(refresh.count()).toBe(1);
  });

  it('a caller waiting at close gets a RefreshError, never the stale value it could see; every timer is cleared', async () => {
    const { clock, refresh, cache } = setup({ stale_ok: false, ttl_ms: 10, max_stale_ms: 10_000, max_inflight_refresh: 2, hedge_after_ms: 20 }, { autoMs: undefined });
    const first = cache.get('A');
    refresh.calls[0]!.resolve();
    await first;
    await clock.advance(50);
    const waiting = track(cache.get('A'));
    cache.close();
    await flush();
    expect(waiting.error).toBeInstanceOf(RefreshError);
    expect(refresh.pending()).toEqual([]);
    expect(clock.pending()).toBe(0);
  });
});

describe('#15.4 / #15.23 configs built in code are filled and validated', () => {
  const clock = new VirtualClock();
  const deps = { clock, registry: null, refresh: () => Promise.resolve(1) };

  it('a partial config gets the defaults (no TypeError)', async () => {
    const cache = new MDCache<number>({ enabled: true, ttl_ms: 100 }, deps);
    expect(cache.config.retry).toEqual({ max_attempts: 3, base_ms: 10, max_ms: 200 });
    expect(cache.config.policy).toBe('ttl');
    const p = cache.get('A');
    await clock.advance(1);
    expect((await p).value).toBe(1);
  });

  it('retry: {} takes the retry defaults (no spin)', async () => {
    const c = new VirtualClock();
    let calls = 0;
    const cache = new MDCache<number>({ enabled: true, retry: {} }, { clock: c, registry: null, refresh: () => (calls++, Promise.reject(new Error('x'))) });
    const p = track(cache.get('A'));
    await c.runUntilIdle();
    await flush();
    expect(calls).toBe(3);
    expect(p.error).toBeInstanceOf(RefreshError);
  });

  it('every problem is named in one ConfigError, in the constructor and in mdCacheConfig', () => {
    const bad = { enabled: 'false', ttl_ms: -1, retry: { max_attempts: 0 }, policy: 'lru', bogus: 1 } as never;
    for (const make of [() => mdCacheConfig(bad), () => new MDCache<number>(bad, deps)]) {
      let err: unknown;
      try {
        make();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConfigError);
      const paths = (err as ConfigError).problems.map((p) => p.path).sort();
      expect(paths).toEqual(['md_cache.bogus', 'md_cache.enabled', 'md_cache.policy', 'md_cache.retry.max_attempts', 'md_cache.ttl_ms']);
    }
    expect(() => mdCacheConfig({ ttl_ms: -1 })).toThrow(ConfigError);
    expect(() => mdCacheConfig({ enabled: 'false' as never })).toThrow(/md_cache.enabled: expected true or false, got 'false'/);
    expect(() => mdCacheConfig({ ttl_ms: 100, max_stale_ms: 50 })).toThrow(/max_stale_ms: 50 must be >= ttl_ms/);
    expect(() => mdCacheConfig({ ttl_ms: 100, refresh_ahead_ms: 100 })).toThrow(/refresh_ahead_ms: 100 must be < ttl_ms/);
  });

  it('a refresh resolving undefined is a failed attempt (retried, then RefreshError), not a silent miss', async () => {
    const c = new VirtualClock();
    let calls = 0;
    const cache = new MDCache<number>({ enabled: true, retry: { max_attempts: 2, base_ms: 0, max_ms: 0 } }, {
      clock: c,
      registry: null,
      refresh: () => (calls++, Promise.resolve(undefined as unknown as number)),
    });
    const p = track(cache.get('A'));
    await c.runUntilIdle();
    await flush();
    expect(calls).toBe(2);
    expect(p.error).toBeInstanceOf(RefreshError);
    expect(String((p.error as Error).message)).toMatch(/resolved undefined/);
    expect(cache.stats().refreshFailures).toBe(2);
  });

  it('a huge retryAfterMs (2^40) is not a 1 ms timer overflow: the refresh fails at once and is held back MAX_HOLD_MS', async () => {
    const c = new VirtualClock();
    const starts: number[] = [];
    const cache = new MDCache<number>({ enabled: true, refresh_timeout_ms: 10, retry: { max_attempts: 2, base_ms: 0, max_ms: 0 } }, {
      clock: c,
      registry: null,
      refresh: () => {
        starts.push(c.now());
        return starts.length === 1 ? Promise.reject(Object.assign(new Error('429'), { retryAfterMs: 2 ** 40 })) : Promise.resolve(7);
      },
    });
    const p = track(cache.get('A'));
    await flush();
    expect(p.error).toBeInstanceOf(RefreshError);
    expect(c.pending()).toBe(0); // nothing scheduled, so no overflowed timer either
    await c.advance(MAX_HOLD_MS - 1);
    await expect(cache.get('A')).rejects.toThrow(/Retry-After runs for another 1 ms/);
    expect(starts).toEqual([0]);
    await c.advance(1);
    expect((await cache.get('A')).value).toBe(7);
    expect(starts).toEqual([0, MAX_HOLD_MS]);
  });
});

describe('#12.3 no throwaway objects on the refresh path', () => {
  it('a refresh that never reads ctx.signal makes no AbortController; one that reads it gets it aborted on timeout', async () => {
    const Real = globalThis.AbortController;
    let made = 0;
    globalThis.AbortController = class extends Real {
      constructor() {
        super();
        made++;
      }
    };
    try {
      const c = new VirtualClock();
      const quiet = new MDCache<number>({ enabled: true, max_inflight_refresh: 2, hedge_after_ms: 50 }, { clock: c, registry: null, refresh: () => new Promise((r) => c.setTimeout(() => r(1), 10)) });
      for (let i = 0; i < 20; i++) {
        const p = quiet.get(`S${i}`);
        await c.advance(10);
        await p;
      }
      expect(made).toBe(0);
      let seen: AbortSignal | undefined;
      const reader = new MDCache<number>({ enabled: true, refresh_timeout_ms: 20, retry: { max_attempts: 1 } }, {
        clock: c,
        registry: null,
        refresh: (_s, ctx) => {
          seen = ctx.signal;
          return new Promise(() => undefined);
        },
      });
      const p = track(reader.get('A'));
      await c.advance(20);
      await flush();
      expect(made).toBe(1);
      expect(seen!.aborted).toBe(true);
      expect(p.error).toBeInstanceOf(RefreshError);
    } finally {
      globalThis.AbortController = Real;
    }
  });
});
